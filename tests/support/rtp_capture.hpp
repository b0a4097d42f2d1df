// RTP on loopback as the wire saw it, captured with tshark: packet counts per direction, tshark's RTP
// stream analysis (loss, jitter), and the payload of one stream for decoding back to audio.
//
// tshark runs as `tshark -i lo -f 'udp portrange A-B' -a duration:N -w FILE`, bounded in time and stopped
// early with SIGINT. Without the SDP in the capture tshark would not know the datagrams are RTP, so the
// analysis enables its RTP-over-UDP heuristic. Capturing needs root or CAP_NET_RAW on dumpcap.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

struct UdpFlow {              // all datagrams from one address:port to another
  std::string source{};       // "127.0.0.1:20000"
  std::string destination{};  // "127.0.0.1:20010"
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::size_t packets = 0;
};

struct RtpStreamStats {  // one row of `tshark -z rtp,streams`
  std::string source{};
  std::string destination{};
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t ssrc = 0;
  // tshark's names, comma-separated when one SSRC carried several payload types (RFC 4733 events share the
  // audio's SSRC): "g711A", "g722, rtpevent", ...
  std::string payload{};
  std::size_t packets = 0;
  long lost = 0;  // expected minus received; negative for duplicates (and for RFC 4733 end retransmissions)
  double max_delta_ms = 0.0;
  double mean_jitter_ms = 0.0;
  double max_jitter_ms = 0.0;
  bool problems = false;  // tshark's "X": sequence errors, wrong timestamps, ...

  bool carries(const std::string& payload_name) const;  // one of the names in `payload`
};

struct RtpCaptureSummary {
  std::vector<UdpFlow> flows{};
  std::vector<RtpStreamStats> streams{};

  // Datagrams sent from / to a port, summed over all flows.
  std::size_t packets_from(std::uint16_t port) const;
  std::size_t packets_to(std::uint16_t port) const;
  // The stream with most packets sent from `source_port` carrying `payload` (any payload when empty).
  // Its packet count includes the packets of other payload types in the same stream.
  std::optional<RtpStreamStats> stream_from(std::uint16_t source_port, const std::string& payload = {}) const;
  std::string describe() const;  // a table for failure messages
};

// One RFC 4733 event as it went over the wire: the telephone-event packets from one source that share an
// RTP timestamp (§2.5.1: every packet of an event, its updates and its end retransmissions, carries the
// timestamp of the event's start).
struct TelephoneEvent {
  int code = -1;     // event code: 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (§3.2)
  char digit = '?';  // the code as a DTMF character, '?' for other events
  std::uint32_t timestamp = 0;
  std::size_t packets = 0;
  bool marker = false;         // some packet of the event carried the marker bit (the first should)
  bool ended = false;          // an end packet (E bit) was seen
  std::uint32_t duration = 0;  // the largest duration field, in timestamp units
};

// "1 (ts 13280, 10 packets, M, E, 2240)" per event, for failure messages.
std::string describe(const std::vector<TelephoneEvent>& events);
// The digits of `events` in order, e.g. "123".
std::string digits_of(const std::vector<TelephoneEvent>& events);

// One RTP packet as captured: when (from the capture's start) and its payload bytes.
struct CapturedRtpPacket {
  std::chrono::duration<double> time{};
  std::vector<std::uint8_t> payload{};
};

struct RtpCaptureOptions {
  std::uint16_t first_port = 0;  // the UDP port range captured (both directions: source or destination)
  std::uint16_t last_port = 0;
  std::string interface = "lo";
  std::chrono::seconds max_duration{60};  // tshark stops by itself after this (-a duration:N)
};

class RtpCapture {
 public:
  static bool available();  // tshark is installed

  // Starts tshark and waits until the capture is running; throws std::runtime_error when it does not start.
  explicit RtpCapture(RtpCaptureOptions options);
  ~RtpCapture();
  RtpCapture(const RtpCapture&) = delete;
  RtpCapture& operator=(const RtpCapture&) = delete;

  // Ends the capture (SIGINT; tshark flushes the file) and waits for tshark. Idempotent.
  ExitStatus stop();

  const std::filesystem::path& file() const { return file_; }

  // After stop(): flows and RTP streams. Throws std::runtime_error when tshark cannot read the file.
  RtpCaptureSummary summary() const;

  // After stop(): the RTP packets sent from `source_port` (optionally only `payload_type`), in capture order.
  std::vector<CapturedRtpPacket> packets(std::uint16_t source_port,
                                         std::optional<int> payload_type = std::nullopt) const;
  // After stop(): the RTP payload bytes sent from `source_port` (optionally only `payload_type`, e.g. 8 for
  // PCMA, which leaves RFC 4733 events out), concatenated in capture order.
  std::vector<std::uint8_t> payload(std::uint16_t source_port,
                                    std::optional<int> payload_type = std::nullopt) const;
  // Writes payload() to `file` (raw bytes, e.g. A-law for decode_g711_raw); returns the byte count.
  std::size_t write_payload(const std::filesystem::path& file, std::uint16_t source_port,
                            std::optional<int> payload_type = std::nullopt) const;

  // After stop(): the RFC 4733 events sent from `source_port` with `payload_type` (the dynamic type the
  // SDP gave telephone-event), in the order of their first packet. Decoded here from the payload bytes, so
  // tshark's own idea of which payload type carries events does not matter.
  std::vector<TelephoneEvent> telephone_events(std::uint16_t source_port, int payload_type) const;

  std::string tshark_output() const;  // what tshark printed, for failure messages

 private:
  // `tshark -r <file>` with RTP decoding: the rtp_udp heuristic, plus "decode as" for ports of the capture
  // that a port-registered dissector would otherwise claim (free ports can be e.g. 27952, Quake 3's).
  std::vector<std::string> read_command() const;

  RtpCaptureOptions options_;
  TempDirectory directory_;
  std::filesystem::path file_;
  std::unique_ptr<Process> tshark_;
  std::optional<ExitStatus> exit_;
};

}  // namespace va::test
