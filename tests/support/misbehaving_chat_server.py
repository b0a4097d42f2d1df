#!/usr/bin/env python3
"""A chat-completions server that misbehaves on purpose (test peer, Python standard library only).

POST /v1/chat/completions answers according to the request's "model", one scenario each:
  ok          a well-formed stream: two sentences, a usage chunk, [DONE]
  tool        a tool call whose id, name and arguments come in fragments over several chunks
  crlf        CRLF line ends, comments and an event split into single bytes across writes
  stall       one text chunk, then nothing for 30 s (the client's timeout must fire)
  silent      no response at all for 30 s
  garbage     a data line that is not JSON
  cut         half a chunk, then the connection is closed (no terminating chunk)
  no_done     a stream that ends with finish_reason but without [DONE]
  nothing     a stream that ends with neither finish_reason nor [DONE]
  error500    HTTP 500 with an OpenAI-style error object
  huge        a data line of 2 MiB without an end
  whole       "stream" ignored: one application/json completion
  utf8split   a multi-byte character split between two TCP writes
  long        the first answer is five long sentences (for barge-in); later answers are one short one
              whose usage reports 256 cached prompt tokens
  handback    a sentence, then a call of return_to_flow (a flow's llm: state hands the call back)
Prints "listening <port>" once ready. Every request is logged to stderr as a JSON line.
"""
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def chunk(text, finish=None):
    return {"id": "c1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": text} if text is not None else {},
                         "finish_reason": finish}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def start_stream(self, content_type="text/event-stream"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, obj):
        self.raw("data: " + (obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)) + "\n\n")

    def end(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        sys.stderr.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization", ""),
                                     "client_port": self.client_address[1], "body": body},
                                    ensure_ascii=False) + "\n")
        sys.stderr.flush()
        self.body = body
        scenario = body.get("model", "ok")
        if self.path != "/v1/chat/completions":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        getattr(self, "scenario_" + scenario)()

    def scenario_ok(self):
        self.start_stream()
        for piece in ["Здравствуйте", "! Чем могу", " помочь?"]:
            self.event(chunk(piece))
            time.sleep(0.05)
        self.event(chunk(None, "stop"))
        self.event({"id": "c1", "choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 7}})
        self.event("[DONE]")
        self.end()

    def scenario_tool(self):
        self.start_stream()
        self.event(chunk("Соединяю. "))
        parts = [{"index": 0, "id": "call_7", "type": "function",
                  "function": {"name": "transfer_call", "arguments": ""}},
                 {"index": 0, "function": {"arguments": "{\"tar"}},
                 {"index": 0, "function": {"arguments": "get\": \"oper"}},
                 {"index": 0, "function": {"arguments": "ator\"}"}}]
        for p in parts:
            self.event({"choices": [{"index": 0, "delta": {"tool_calls": [p]}, "finish_reason": None}]})
        self.event(chunk(None, "tool_calls"))
        self.event("[DONE]")
        self.end()

    def scenario_crlf(self):
        self.start_stream()
        self.raw(": keep-alive\r\n\r\n")
        text = "data: " + json.dumps(chunk("Hello there.")) + "\r\n\r\n"
        for byte in text.encode():
            self.raw(bytes([byte]))
        self.raw("event: message\r\ndata: " + json.dumps(chunk(" Bye.", "stop")) + "\r\n\r\n")
        self.raw("data: [DONE]\r\n\r\n")
        self.end()

    def scenario_stall(self):
        self.start_stream()
        self.event(chunk("Сейчас"))
        time.sleep(30)

    def scenario_silent(self):
        time.sleep(30)

    def scenario_garbage(self):
        self.start_stream()
        self.event(chunk("Hi"))
        self.raw("data: {not json\n\n")
        self.event("[DONE]")
        self.end()

    def scenario_cut(self):
        self.start_stream()
        self.event(chunk("Начало"))
        data = ("data: " + json.dumps(chunk("обрыв")) + "\n\n").encode()
        self.wfile.write(b"%x\r\n" % len(data) + data[: len(data) // 2])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def scenario_no_done(self):
        self.start_stream()
        self.event(chunk("Done without done.", "stop"))
        self.end()

    def scenario_nothing(self):
        self.start_stream()
        self.event(chunk("Half"))
        self.end()

    def scenario_error500(self):
        payload = json.dumps({"error": {"message": "model overloaded", "type": "server_error",
                                        "code": "overloaded"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def scenario_huge(self):
        self.start_stream()
        self.raw("data: " + "x" * (1 << 20))
        try:
            self.raw("x" * (1 << 20))
            self.end()
        except OSError:
            pass

    def scenario_whole(self):
        payload = json.dumps({"id": "c2", "object": "chat.completion",
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": "All at once."}}],
                              "usage": {"prompt_tokens": 5, "completion_tokens": 3}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    LONG = ["Мы работаем каждый день с девяти утра до девяти вечера, без перерыва на обед и без выходных. ",
            "В праздничные дни расписание может меняться, и мы заранее сообщаем об этом на нашем сайте. ",
            "Кроме того, вы всегда можете оставить заявку через мобильное приложение в любое время суток. ",
            "Наши специалисты перезвонят вам в течение одного рабочего часа после получения заявки. ",
            "Если у вас остались вопросы, я с удовольствием расскажу подробнее о каждой из наших услуг."]

    def scenario_long(self):
        messages = self.body.get("messages", [])
        answered = sum(1 for m in messages if m.get("role") == "assistant")
        self.start_stream()
        pieces = self.LONG if answered <= 1 else ["Хорошо, слушаю ваш вопрос."]
        for piece in pieces:
            self.event(chunk(piece))
            time.sleep(0.1)
        self.event(chunk(None, "stop"))
        # A later answer reports the earlier prompt as cached, as OpenAI's usage does.
        usage = {"prompt_tokens": 300, "completion_tokens": 12,
                 "prompt_tokens_details": {"cached_tokens": 0 if answered <= 1 else 256}}
        self.event({"id": "c1", "choices": [], "usage": usage})
        self.event("[DONE]")
        self.end()

    def scenario_handback(self):
        self.start_stream()
        self.event(chunk("Хорошо, возвращаю вас в меню. "))
        call = {"index": 0, "id": "call_back", "type": "function",
                "function": {"name": "return_to_flow", "arguments": "{}"}}
        self.event({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]})
        self.event(chunk(None, "tool_calls"))
        self.event("[DONE]")
        self.end()

    def scenario_utf8split(self):
        self.start_stream()
        data = ("data: " + json.dumps(chunk("Привет."), ensure_ascii=False) + "\n\n").encode()
        cut = data.index("р".encode()) + 1  # inside the two bytes of "р"
        self.raw(data[:cut])
        time.sleep(0.05)
        self.raw(data[cut:])
        self.event(chunk(None, "stop"))
        self.event("[DONE]")
        self.end()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    server.daemon_threads = True
    print("listening", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
