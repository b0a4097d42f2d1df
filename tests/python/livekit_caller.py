#!/usr/bin/env python3
"""A LiveKit room participant that behaves like LiveKit's SIP bridge on behalf of a phone caller.

Driven by tests (tests/support/livekit_caller.hpp) through the official Python SDK (PyPI `livekit`, pinned in
tests/python/requirements.txt, the same version whose liblivekit_ffi voice-agent loads). It joins with a token the
test minted (identity `sip_<number>`, kind "sip", `sip.*` attributes), so the room sees what the real bridge
would put there. The bridge itself cannot be installed on these machines (docs: issue 11).

Output: one JSON object per line on stdout, each with "event" and "time" (wall clock, Unix seconds). Log lines
of the SDK go to stderr.

Input: one JSON command per line on stdin, run in order; each is answered by a "command" event with its "id":
  {"cmd": "publish"}                                    publish the microphone track (silent until played)
  {"cmd": "play", "wav": "/path.wav"}                   publish if needed, start playing (does not wait)
  {"cmd": "wait_play"}                                  wait until what is playing has been sent
  {"cmd": "stop"}                                       drop what is queued for playing
  {"cmd": "dtmf", "digit": "5"}                         a sip_dtmf data packet, like the bridge sends
  {"cmd": "data", "payload": "text", "topic": "t"}      a reliable user data packet
  {"cmd": "set_attributes", "attributes": {"k": "v"}}   own attributes: the token needs canUpdateOwnMetadata,
                                                        or the server ignores it (the bridge itself uses the
                                                        server API, UpdateParticipant)
  {"cmd": "wait", "seconds": 1.5}                       pause the command queue
  {"cmd": "leave"}                                      disconnect, finish the recordings, exit 0
End of input counts as "leave".

Recordings: every remote audio track this participant subscribes to is written to <record-dir>/<identity>.wav
(16-bit mono at --record-rate; a second track of the same participant gets -2, -3, ...). The "recording_started"
event carries the wall-clock time of the file's first sample; the file is kept on the wall clock from then on
(a stall in the stream longer than 200 ms is filled with silence), so sample n was heard at about
first_sample_time + n / rate and a test can measure latencies from the file.

Exit codes (deterministic, each announced by a last "exit" event where possible):
  0 left on command or end of input      3 could not connect          5 disconnected by the server/room
  1 internal error                       4 the hard timeout expired   6 a command failed
  2 bad usage
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import struct
import sys
import time
import wave
from dataclasses import dataclass, field

EXIT_LEFT = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_CONNECT = 3
EXIT_TIMEOUT = 4
EXIT_DISCONNECTED = 5
EXIT_COMMAND = 6

# RFC 4733 event codes, the `code` of a sip_dtmf packet.
DTMF_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}

SOURCE_RATE = 48000  # what the published track is fed at; WAVs of other rates are resampled to it
FRAME_MS = 10
STALL_FILL_SECONDS = 0.2


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, "time": time.time(), **fields}, sort_keys=True), flush=True)


def enum_name(enum_type, value, prefix: str = "") -> str:
    try:
        name = enum_type.Name(value)
    except ValueError:
        return str(value)
    return (name[len(prefix):] if prefix and name.startswith(prefix) else name).lower()


class CommandError(Exception):
    pass


class GrowingWav:
    """A 16-bit mono PCM WAV that others may read while it grows: until close() its RIFF and data sizes say
    0xFFFFFFFF ("to the end of the file", as streaming recorders write them), then the real sizes."""

    def __init__(self, path: str, rate: int):
        self.file = open(path, "wb")
        self.file.write(self.header(rate, 0xFFFFFFFF))
        self.file.flush()
        self.rate = rate
        self.data_bytes = 0

    @staticmethod
    def header(rate: int, data_bytes: int) -> bytes:
        riff = 0xFFFFFFFF if data_bytes == 0xFFFFFFFF else 36 + data_bytes
        return (b"RIFF" + struct.pack("<I", riff) + b"WAVE" +
                b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) +
                b"data" + struct.pack("<I", data_bytes))

    def write(self, pcm: bytes) -> None:
        self.file.write(pcm)
        self.file.flush()
        self.data_bytes += len(pcm)

    def close(self) -> None:
        self.file.seek(0)
        self.file.write(self.header(self.rate, self.data_bytes))
        self.file.close()


@dataclass
class Recording:
    identity: str
    track_sid: str
    path: str
    rate: int
    writer: GrowingWav
    first_sample_time: float = 0.0
    samples: int = 0
    filled_samples: int = 0
    task: asyncio.Task | None = None
    end_reason: str = "caller left"  # why the pump task was cancelled
    finished: bool = False

    def write(self, pcm: bytes, arrival: float) -> None:
        if self.samples == 0:
            self.first_sample_time = arrival
            emit("recording_started", participant=self.identity, track_sid=self.track_sid, file=self.path,
                 sample_rate=self.rate, first_sample_time=arrival)
        # Keep the file on the wall clock: a stream that stalled (no packets) would otherwise pull everything
        # after the stall earlier than it was heard.
        frame_samples = len(pcm) // 2
        expected = int((arrival - self.first_sample_time) * self.rate) - frame_samples
        if expected - self.samples > STALL_FILL_SECONDS * self.rate:
            gap = expected - self.samples
            self.writer.write(b"\0\0" * gap)
            self.samples += gap
            self.filled_samples += gap
        self.writer.write(pcm)
        self.samples += frame_samples

    def finish(self, reason: str) -> None:
        if self.finished:
            return
        self.finished = True
        self.writer.close()
        emit("recording_finished", participant=self.identity, track_sid=self.track_sid, file=self.path,
             sample_rate=self.rate, samples=self.samples, seconds=self.samples / self.rate,
             first_sample_time=self.first_sample_time if self.samples else None,
             filled_seconds=self.filled_samples / self.rate, reason=reason)


@dataclass
class Caller:
    rtc: object  # the livekit.rtc module (imported late: usage errors must not wait for the library)
    args: argparse.Namespace
    room: object = None
    source: object = None
    publication: object = None
    play_task: asyncio.Task | None = None
    recordings: dict = field(default_factory=dict)  # track sid -> Recording
    files_per_identity: dict = field(default_factory=dict)
    done: asyncio.Future | None = None  # resolves to the exit code

    # --- room events -------------------------------------------------------------------------------------

    def participant_json(self, p) -> dict:
        return {"identity": p.identity, "sid": p.sid, "name": p.name,
                "kind": enum_name(self.rtc.ParticipantKind, p.kind, "PARTICIPANT_KIND_"),
                "attributes": dict(p.attributes), "metadata": p.metadata}

    def finish(self, code: int) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_result(code)

    def attach(self, room) -> None:
        rtc = self.rtc

        @room.on("participant_connected")
        def _(p):
            emit("participant_connected", participant=self.participant_json(p))

        @room.on("participant_disconnected")
        def _(p):
            emit("participant_disconnected", identity=p.identity,
                 reason=enum_name(rtc.DisconnectReason, p.disconnect_reason))

        @room.on("participant_attributes_changed")
        def _(changed, p):
            emit("participant_attributes_changed", identity=p.identity, changed=dict(changed),
                 attributes=dict(p.attributes))

        @room.on("participant_metadata_changed")
        def _(p, old, new):
            emit("participant_metadata_changed", identity=p.identity, metadata=new)

        @room.on("track_published")
        def _(publication, p):
            emit("track_published", identity=p.identity, track_sid=publication.sid,
                 kind=enum_name(rtc.TrackKind, publication.kind, "KIND_"), name=publication.name)

        @room.on("track_unpublished")
        def _(publication, p):
            emit("track_unpublished", identity=p.identity, track_sid=publication.sid)

        @room.on("track_subscribed")
        def _(track, publication, p):
            emit("track_subscribed", identity=p.identity, track_sid=publication.sid,
                 kind=enum_name(rtc.TrackKind, track.kind, "KIND_"))
            if track.kind == rtc.TrackKind.KIND_AUDIO:
                self.start_recording(track, publication.sid, p.identity)

        @room.on("track_unsubscribed")
        def _(track, publication, p):
            emit("track_unsubscribed", identity=p.identity, track_sid=publication.sid)
            # The SDK's stream does not end by itself when the track goes away.
            recording = self.recordings.get(publication.sid)
            if recording is not None and recording.task is not None:
                recording.end_reason = "track unsubscribed"
                recording.task.cancel()

        @room.on("track_subscription_failed")
        def _(p, track_sid, error):
            emit("track_subscription_failed", identity=p.identity, track_sid=track_sid, error=error)

        @room.on("track_muted")
        def _(p, publication):
            emit("track_muted", identity=p.identity, track_sid=publication.sid)

        @room.on("track_unmuted")
        def _(p, publication):
            emit("track_unmuted", identity=p.identity, track_sid=publication.sid)

        @room.on("local_track_subscribed")
        def _(track):
            # Another participant now receives what this caller sends.
            emit("local_track_subscribed", track_sid=track.sid)

        @room.on("data_received")
        def _(packet):
            try:
                payload = packet.data.decode("utf-8")
            except UnicodeDecodeError:
                payload = packet.data.hex()
            emit("data_received", identity=packet.participant.identity if packet.participant else None,
                 topic=packet.topic, payload=payload)

        @room.on("sip_dtmf_received")
        def _(dtmf):
            emit("sip_dtmf_received", identity=dtmf.participant.identity if dtmf.participant else None,
                 code=dtmf.code, digit=dtmf.digit)

        @room.on("connection_state_changed")
        def _(state):
            emit("connection_state_changed",
                 state=enum_name(rtc.ConnectionState, state, "CONN_"))

        @room.on("reconnecting")
        def _():
            emit("reconnecting")

        @room.on("reconnected")
        def _():
            emit("reconnected")

        @room.on("disconnected")
        def _(reason):
            emit("disconnected", reason=enum_name(rtc.DisconnectReason, reason))
            self.finish(EXIT_DISCONNECTED)

    # --- recording ---------------------------------------------------------------------------------------

    def start_recording(self, track, track_sid: str, identity: str) -> None:
        count = self.files_per_identity.get(identity, 0) + 1
        self.files_per_identity[identity] = count
        name = identity if count == 1 else f"{identity}-{count}"
        safe = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)
        path = os.path.join(self.args.record_dir, safe + ".wav")
        recording = Recording(identity, track_sid, path, self.args.record_rate,
                              GrowingWav(path, self.args.record_rate))
        self.recordings[track_sid] = recording
        stream = self.rtc.AudioStream(track, sample_rate=self.args.record_rate, num_channels=1)

        async def pump():
            try:
                async for event in stream:
                    recording.write(bytes(event.frame.data), time.time())
                recording.finish("track ended")
            except asyncio.CancelledError:
                recording.finish(recording.end_reason)
                raise
            finally:
                await stream.aclose()

        recording.task = asyncio.get_running_loop().create_task(pump())

    async def finish_recordings(self, reason: str) -> None:
        tasks = []
        for recording in self.recordings.values():
            if recording.task is not None and not recording.task.done():
                recording.end_reason = reason
                recording.task.cancel()
                tasks.append(recording.task)
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        for recording in self.recordings.values():
            recording.finish(reason)

    # --- commands ----------------------------------------------------------------------------------------

    async def ensure_published(self) -> None:
        if self.publication is not None:
            return
        rtc = self.rtc
        self.source = rtc.AudioSource(SOURCE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("phone", self.source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        self.publication = await self.room.local_participant.publish_track(track, options)
        emit("local_track_published", track_sid=self.publication.sid)

    def read_wav_frames(self, path: str) -> list:
        rtc = self.rtc
        try:
            with wave.open(path, "rb") as w:
                if w.getsampwidth() != 2:
                    raise CommandError(f"{path}: {8 * w.getsampwidth()}-bit samples; 16-bit PCM expected")
                channels, rate, pcm = w.getnchannels(), w.getframerate(), w.readframes(w.getnframes())
        except (OSError, EOFError, wave.Error) as e:
            raise CommandError(f"cannot read {path}: {e}") from e
        if channels != 1:
            import numpy  # a dependency of the SDK

            pcm = numpy.frombuffer(pcm, dtype="<i2")[::channels].tobytes()
        frames = []
        if rate != SOURCE_RATE:
            resampler = rtc.AudioResampler(rate, SOURCE_RATE, num_channels=1,
                                           quality=rtc.AudioResamplerQuality.HIGH)
            frames = resampler.push(bytearray(pcm)) + resampler.flush()
            pcm = b"".join(bytes(f.data) for f in frames)
        step = SOURCE_RATE * FRAME_MS // 1000
        out = []
        for start in range(0, len(pcm) // 2, step):
            chunk = pcm[2 * start:2 * (start + step)]
            if len(chunk) < 2 * step:
                chunk += b"\0" * (2 * step - len(chunk))
            out.append(rtc.AudioFrame(chunk, SOURCE_RATE, 1, step))
        return out

    async def play(self, path: str, frames: list) -> None:
        started = None
        for frame in frames:
            await self.source.capture_frame(frame)  # returns at once until ~1 s is queued: real-time pacing
            if started is None:
                started = time.time()
                emit("play_started", wav=path, seconds=len(frames) * FRAME_MS / 1000)
        await self.source.wait_for_playout()
        emit("play_finished", wav=path)

    async def run_command(self, command: dict) -> bool:
        """Runs one command; False when the caller must leave."""
        cmd = command.get("cmd")
        if cmd == "publish":
            await self.ensure_published()
        elif cmd == "play":
            if "wav" not in command:
                raise CommandError("play needs \"wav\"")
            frames = self.read_wav_frames(command["wav"])
            await self.ensure_published()
            if self.play_task is not None and not self.play_task.done():
                self.play_task.cancel()
                self.source.clear_queue()
            self.play_task = asyncio.get_running_loop().create_task(self.play(command["wav"], frames))
        elif cmd == "wait_play":
            if self.play_task is not None:
                await asyncio.shield(self.play_task)
        elif cmd == "stop":
            if self.play_task is not None and not self.play_task.done():
                self.play_task.cancel()
            if self.source is not None:
                self.source.clear_queue()
            emit("play_stopped")
        elif cmd == "dtmf":
            digit = str(command.get("digit", ""))
            if digit.upper() not in DTMF_CODES:
                raise CommandError(f"not a DTMF digit: {digit!r}")
            await self.room.local_participant.publish_dtmf(code=DTMF_CODES[digit.upper()], digit=digit)
        elif cmd == "data":
            await self.room.local_participant.publish_data(
                str(command.get("payload", "")).encode(), reliable=True, topic=command.get("topic") or "")
        elif cmd == "set_attributes":
            attributes = command.get("attributes")
            if not isinstance(attributes, dict):
                raise CommandError("set_attributes needs an object \"attributes\"")
            await self.room.local_participant.set_attributes({str(k): str(v) for k, v in attributes.items()})
        elif cmd == "wait":
            await asyncio.sleep(float(command.get("seconds", 0)))
        elif cmd == "leave":
            return False
        else:
            raise CommandError(f"unknown command {cmd!r}")
        return True

    async def read_commands(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                emit("input_closed")
                self.finish(EXIT_LEFT)
                return
            if not line.strip():
                continue
            try:
                command = json.loads(line)
                if not isinstance(command, dict):
                    raise CommandError("a command is a JSON object")
            except (json.JSONDecodeError, CommandError) as e:
                emit("error", message=f"bad command line {line.decode(errors='replace').strip()!r}: {e}")
                self.finish(EXIT_COMMAND)
                return
            try:
                keep_going = await self.run_command(command)
            except CommandError as e:
                emit("error", cmd=command.get("cmd"), id=command.get("id"), message=str(e))
                self.finish(EXIT_COMMAND)
                return
            except Exception as e:  # an SDK call failed: the test wants to see why, not a traceback
                emit("error", cmd=command.get("cmd"), id=command.get("id"), message=f"{type(e).__name__}: {e}")
                self.finish(EXIT_COMMAND)
                return
            emit("command", cmd=command.get("cmd"), id=command.get("id"), ok=True)
            if not keep_going:
                self.finish(EXIT_LEFT)
                return

    # --- lifetime ----------------------------------------------------------------------------------------

    async def run(self) -> int:
        rtc = self.rtc
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        loop.call_later(self.args.timeout, lambda: (emit("timeout", seconds=self.args.timeout),
                                                    self.finish(EXIT_TIMEOUT)))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda s=sig: (emit("signal", signal=s), self.finish(EXIT_LEFT)))

        self.room = rtc.Room(loop=loop)
        self.attach(self.room)
        options = rtc.RoomOptions(auto_subscribe=True, connect_timeout=self.args.connect_timeout)
        try:
            await asyncio.wait_for(self.room.connect(self.args.url, self.args.token, options),
                                   self.args.connect_timeout + 1)
        except (rtc.ConnectError, asyncio.TimeoutError) as e:
            emit("connect_failed", message=f"{type(e).__name__}: {e}")
            return EXIT_CONNECT
        local = self.room.local_participant
        emit("connected", room=self.room.name, identity=local.identity, local=self.participant_json(local),
             participants=[self.participant_json(p) for p in self.room.remote_participants.values()])
        # Tracks already published when we joined are subscribed through the same events as later ones.

        commands = loop.create_task(self.read_commands())
        if self.args.publish:
            await self.ensure_published()
        code = await self.done
        commands.cancel()
        if self.play_task is not None:
            self.play_task.cancel()
        await self.finish_recordings("caller left" if code != EXIT_DISCONNECTED else "disconnected")
        if self.room.isconnected():
            try:
                await asyncio.wait_for(self.room.disconnect(), 3.0)
            except Exception as e:  # leaving is best effort: the exit code already says how it ended
                emit("error", message=f"disconnect: {type(e).__name__}: {e}")
        if code == EXIT_LEFT:
            emit("left")
        return code


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="ws://host:port of the LiveKit server")
    parser.add_argument("--token", default=os.environ.get("LIVEKIT_TOKEN"),
                        help="access token (default: $LIVEKIT_TOKEN)")
    parser.add_argument("--record-dir", required=True, help="where the WAV of each remote participant goes")
    parser.add_argument("--record-rate", type=int, default=16000, choices=(8000, 16000, 24000, 48000))
    parser.add_argument("--timeout", type=float, default=60.0, help="hard limit on the whole run, seconds")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    parser.add_argument("--publish", action="store_true", help="publish the audio track right after joining")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("no token: pass --token or set LIVEKIT_TOKEN")
    if not os.path.isdir(args.record_dir):
        parser.error(f"--record-dir {args.record_dir}: not a directory")
    return args


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_LEFT
    # A last resort if the event loop itself hangs (a blocked FFI call): SIGALRM's default action ends us.
    signal.alarm(int(args.timeout) + 10)
    try:
        from livekit import rtc
    except ImportError as e:
        emit("error", message=f"the livekit SDK is not installed ({e}): run scripts/setup")
        return EXIT_INTERNAL
    code = EXIT_INTERNAL
    try:
        code = asyncio.run(Caller(rtc, args).run())
    except Exception as e:
        emit("error", message=f"{type(e).__name__}: {e}")
        code = EXIT_INTERNAL
    emit("exit", code=code)
    sys.stdout.flush()
    # The SDK's threads can keep a normal interpreter exit waiting; the outcome is decided.
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
