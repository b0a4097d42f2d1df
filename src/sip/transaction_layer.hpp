// The SIP transaction layer (RFC 3261 §17) with its transport (§18): the SIP core of voice-agent.
//
// How a TU uses it:
//   va::sip::TransactionLayer sip(io, options, tu);          // tu implements va::sip::TransactionUser
//   if (auto error = sip.start()) { ... }                     // binds options.transport.listen
//   auto tx = sip.send_request(request, [](const va::sip::ClientResponse& r) { ... });  // no Via needed
//   tx.cancel();                                              // INVITE only (§9.1)
//   tx.send_ack(ack);                                         // the ACK of a 2xx (§13.2.2.4)
//   // in tu.on_request(handle, incoming): handle.respond(make_response(incoming.message, 200, {}, tag));
//   sip.stop();
// Callbacks run on the SIP core strand; send_request, the handles and stop() may be called from any thread.
//
// Threading (design.md "Threading"): the whole SIP core — sockets, connection table, transaction tables,
// timers — runs on ONE strand of the io_context, so it needs no locks and every message is handled in
// arrival order. The TU's callbacks run there too and only post work to the calls' own strands. One strand
// is enough for the target of 300 calls/s: a call is about 7-10 messages (INVITE, 100, 180, 200, ACK, BYE,
// 200, plus the odd retransmission), 2,100-3,000 messages/s. Measured on the 2-core development VM (release
// build, SIPp sending OPTIONS over loopback, the layer answering 200): about 10 µs of CPU per message
// received or sent, syscalls included — 10,000 OPTIONS/s (20,000 messages/s) kept the strand 20 % busy. An
// INVITE with SDP costs a few times an OPTIONS to parse, so 3,000 messages/s stay below 10 % of one core,
// and the other cores remain free for media and speech. Timers are two asio steady_timers per transaction
// (cancelled when it ends), none per packet; connection idle and keep-alive checks share one periodic
// sweep. If the strand ever saturates, the step that scales is to parse on the receiving thread and post
// only parsed messages to the strand, or to shard transactions over several strands by branch hash.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "sip/message.hpp"
#include "sip/sip_timers.hpp"
#include "sip/transaction_user.hpp"
#include "sip/transport.hpp"

namespace va::sip {

class TransactionCore;

struct TransactionLayerOptions {
  TransportOptions transport;
  TimerSettings timers;
  // New server transactions beyond this are refused statelessly with 503 + Retry-After (overload).
  std::size_t max_server_transactions = 100'000;
};

class TransactionLayer {
 public:
  // `metrics` may be null (a private registry is used). `user` must outlive the layer, or stop() must have
  // returned before it goes.
  TransactionLayer(boost::asio::io_context& io, TransactionLayerOptions options, TransactionUser& user,
                   metrics::Registry* metrics = nullptr);
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // Binds the listen URIs. Returns an error message (naming the URI) or nullopt. Call once, before the
  // io_context threads touch the layer (i.e. before anything else is called).
  std::optional<std::string> start();
  // Ends every transaction without callbacks and closes the sockets. From outside the strand it waits until
  // that has happened (the io_context must be running, or already stopped); after it returns no TU callback
  // runs.
  void stop();

  const std::vector<ListeningPoint>& listening_points() const;
  // The SIP core strand, for TUs that want to run code in order with the layer.
  boost::asio::any_io_executor strand() const;

  // Starts a client transaction. The layer adds the top Via (branch, sent-by, rport) and Max-Forwards when
  // missing; the TU supplies everything else (§8.1.1). Responses, including synthetic 408/503, go to
  // `on_response` on the strand.
  ClientTransactionHandle send_request(Message request, ResponseHandler on_response,
                                       SendOptions options = {});
  // Sends a request outside any transaction (e.g. re-sending the ACK of a 2xx after its INVITE transaction
  // ended). A Via with a new branch is added.
  void send_stateless_request(Message request, SendOptions options = {});

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<TransactionCore> core_;
};

}  // namespace va::sip
