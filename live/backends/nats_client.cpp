#include "live/backends/nats_client.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <thread>

#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr std::size_t kMaxRequests = 2;  // open pull requests per client (the durable allows 512 in all)
constexpr Time kPullGrace = 1 * kSecond;  // after kPullExpiry: a request unanswered by then is lost
constexpr Time kPollSlice = 100 * kMillisecond;

std::uint64_t number_or_zero(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The delivery count in a JetStream ack subject: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.
// <pending> (9 tokens), or with <domain>.<account hash> after ACK (11 or 12 tokens).
std::uint32_t delivered_count(std::string_view ack_subject) {
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  for (std::size_t dot = ack_subject.find('.'); ; dot = ack_subject.find('.', start)) {
    tokens.push_back(ack_subject.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const std::size_t index = tokens.size() == 9 ? 4 : 6;
  if (tokens.size() < 9 || tokens[0] != "$JS" || tokens[1] != "ACK") return 0;
  return static_cast<std::uint32_t>(number_or_zero(tokens[index]));
}

std::string base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) continue;  // padding
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

}  // namespace

NatsClient::NatsClient(const ClientConfig& config)
    : config_(config),
      layout_(config.queue, config.backend_options),
      connection_(config.endpoints, config.endpoints.empty() ? 0 : std::hash<std::string>{}(config.name) %
                                                                        config.endpoints.size(),
                  config.name, kApiTimeout) {
  if (config_.role == ClientRole::producer) {
    publish_sid_ = connection_.subscribe(connection_.inbox() + ".p.*");
    connection_.send();
    return;
  }
  durable_ = layout_.durable(config_.consumer_index);
  try {
    jetstream_call(connection_,
                   std::string("$JS.API.CONSUMER.DURABLE.CREATE.") + NatsLayout::kStream + "." + durable_,
                   {{"stream_name", NatsLayout::kStream}, {"config", layout_.consumer_config(config_.consumer_index)}},
                   kApiTimeout);
    await_durable_leader();
  } catch (const BackendError& e) {
    // The launcher declares the streams at start and again once a restarted node runs: a stream that is not
    // found is one a memory-storage node lost in a crash, about to be declared again (a consumer reconnecting
    // first retries, as while the server is down).
    const bool stream_missing = std::string_view(e.what()).find("\"err_code\":10059") != std::string_view::npos;
    throw BackendError(e.what(), e.connection_lost || stream_missing);
  }
  if (layout_.keeps_until_ack()) {
    advisory_sid_ = connection_.subscribe(
        std::string("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.") + NatsLayout::kStream + "." + durable_,
        "qlab-dead-letters");
  }
  connection_.send();
}

void NatsClient::await_durable_leader() {
  const Time deadline = monotonic_now() + kApiTimeout;
  for (;;) {
    const nlohmann::json info = jetstream_call(
        connection_, std::string("$JS.API.CONSUMER.INFO.") + NatsLayout::kStream + "." + durable_, nullptr, kApiTimeout);
    if (!info.contains("cluster") || info["cluster"].contains("leader") || monotonic_now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void NatsClient::publish(std::span<const PublishRequest> batch) {
  const Time deadline = monotonic_now() + kPublishTimeout;
  for (const PublishRequest& request : batch) {
    const std::uint32_t consumer =
        layout_.preassigned()
            ? layout_.mapping().assign(request.message_id, request.key, turn_++, config_.consumer_count)
            : 0;
    std::vector<std::pair<std::string, std::string>> fields = {
        {"Qlab-Id", std::to_string(request.message_id)}, {"Qlab-Intended", std::to_string(request.intended)}};
    if (layout_.dedup()) fields.emplace_back("Nats-Msg-Id", std::to_string(request.message_id));
    const std::uint64_t token = next_token_++;
    connection_.publish(layout_.subject(consumer), connection_.inbox() + ".p." + std::to_string(token),
                        nats_headers(fields), request.payload);
    publishes_.add(token, request, deadline);
  }
  connection_.send();
}

void NatsClient::pull(std::uint32_t count) {
  unrequested_ += count;
  request_credit();
  connection_.send();
}

void NatsClient::request_credit() {
  if (unrequested_ == 0 || pulls_.size() >= kMaxRequests) return;
  const std::string reply = connection_.inbox() + ".n." + std::to_string(next_token_++);
  const std::uint64_t sid = connection_.subscribe(reply);
  const nlohmann::json body = {{"batch", unrequested_}, {"expires", kPullExpiry}};
  connection_.publish(std::string("$JS.API.CONSUMER.MSG.NEXT.") + NatsLayout::kStream + "." + durable_, reply, "",
                      body.dump());
  pulls_[sid] = {unrequested_, monotonic_now() + kPullExpiry + kPullGrace};
  unrequested_ = 0;
}

void NatsClient::reply(std::uint64_t receipt, std::string_view verb, bool forget) {
  const auto it = receipts_.find(receipt);
  if (it == receipts_.end()) {
    // At-most-once deliveries were acked on receipt; anything else is a receipt this client never issued.
    if (layout_.keeps_until_ack()) warnings_.push_back("nats: unknown receipt " + std::to_string(receipt));
    return;
  }
  connection_.publish(it->second, "", "", verb);
  if (forget) receipts_.erase(it);
  connection_.send();
}

void NatsClient::ack(std::uint64_t receipt) { reply(receipt, "+ACK", true); }

void NatsClient::release(std::uint64_t receipt) { reply(receipt, "-NAK", true); }

void NatsClient::extend(std::uint64_t receipt, Time) { reply(receipt, "+WPI", false); }

std::size_t NatsClient::poll(Time timeout, BrokerEvents& events) {
  std::size_t count = 0;
  for (const std::string& warning : warnings_) events.on_warning(warning);
  count += warnings_.size();
  warnings_.clear();
  const Time deadline = monotonic_now() + timeout;
  std::vector<NatsMessage> messages;
  bool drained = false;  // the last read found nothing: past the deadline, stop (poll(0) still reads once)
  while (true) {
    const Time now = monotonic_now();
    count += on_deadlines(now, events);
    if (count > 0 || (now >= deadline && drained)) break;
    messages.clear();
    drained = !connection_.read(std::clamp<Time>(deadline - now, 0, kPollSlice), messages);
    for (const NatsMessage& message : messages) count += on_message(message, events);
    connection_.send();
  }
  return count;
}

void NatsClient::flush(Time timeout) { connection_.round_trip(timeout); }

std::size_t NatsClient::on_message(const NatsMessage& message, BrokerEvents& events) {
  if (message.sid == publish_sid_) return on_publish_answer(message, events);
  if (message.sid == advisory_sid_) {
    on_max_deliveries(message);
    return 0;
  }
  const auto pull = pulls_.find(message.sid);
  if (pull == pulls_.end()) return 0;  // a request already given up: the message is redelivered after ack_wait
  if (message.status() == 0) return on_pulled(message, pull->second, events);
  // 408 (expired), 409 (leadership change, too many requests) or 404: the request ended; ask again.
  unrequested_ += pull->second.remaining;
  connection_.unsubscribe(pull->first);
  pulls_.erase(pull);
  request_credit();
  return 0;
}

std::size_t NatsClient::on_publish_answer(const NatsMessage& message, BrokerEvents& events) {
  const std::size_t dot = message.subject.rfind('.');
  const std::uint64_t token = number_or_zero(std::string_view(message.subject).substr(dot + 1));
  const nlohmann::json answer = nlohmann::json::parse(message.payload, nullptr, false);
  // Refused: no responders (no stream leader), or JetStream said no. An answer after the timeout finds nothing.
  const bool accepted = message.status() == 0 && answer.is_object() && !answer.contains("error");
  const std::size_t count = publishes_.resolve(token, token, accepted, events);
  if (count > 0 && answer.is_object() && answer.contains("error")) {
    warnings_.push_back("nats: publish: " + answer["error"].dump());
  }
  return count;
}

std::size_t NatsClient::on_pulled(const NatsMessage& message, PullRequest& request, BrokerEvents& events) {
  if (--request.remaining == 0) {
    connection_.unsubscribe(message.sid);
    pulls_.erase(message.sid);
    request_credit();
  }
  Delivery delivery;
  delivery.message_id = number_or_zero(message.header("Qlab-Id"));
  delivery.intended = static_cast<Time>(number_or_zero(message.header("Qlab-Intended")));
  delivery.receive_count = std::max<std::uint32_t>(1, delivered_count(message.reply));
  delivery.receipt = next_receipt_++;
  if (layout_.keeps_until_ack()) {
    receipts_[delivery.receipt] = message.reply;
  } else {
    connection_.publish(message.reply, "", "", "+ACK");  // at-most-once: the message is gone once delivered
  }
  events.on_delivery(delivery);
  return 1;
}

void NatsClient::on_max_deliveries(const NatsMessage& advisory) {
  const nlohmann::json event = nlohmann::json::parse(advisory.payload, nullptr, false);
  if (!event.is_object() || !event.contains("stream_seq") || !event["stream_seq"].is_number_unsigned()) return;
  const std::uint64_t seq = event["stream_seq"].get<std::uint64_t>();
  const std::string stream = NatsLayout::kStream;
  try {
    const nlohmann::json got =
        jetstream_call(connection_, "$JS.API.STREAM.MSG.GET." + stream, {{"seq", seq}}, kApiTimeout);
    const nlohmann::json& stored = got.at("message");
    // The copy keeps the original headers, Nats-Msg-Id included: a second move of the same message is dropped.
    const NatsMessage put = connection_.request(NatsLayout::kDeadSubject, base64_decode(stored.value("hdrs", "")),
                                                base64_decode(stored.value("data", "")), kApiTimeout);
    const nlohmann::json put_answer = nlohmann::json::parse(put.payload, nullptr, false);
    if (put.status() != 0 || !put_answer.is_object() || put_answer.contains("error")) {
      throw BackendError("copy to " + std::string(NatsLayout::kDeadStream) + " refused: " + put.payload, false);
    }
    jetstream_call(connection_, "$JS.API.STREAM.MSG.DELETE." + stream, {{"seq", seq}, {"no_erase", true}},
                   kApiTimeout);
  } catch (const std::exception& e) {  // the message stays where it is; a closed socket fails the next read
    warnings_.push_back("nats: dead-lettering stream sequence " + std::to_string(seq) + ": " + e.what());
  }
}

std::size_t NatsClient::on_deadlines(Time now, BrokerEvents& events) {
  const std::size_t count = publishes_.expire(now, events);
  for (auto it = pulls_.begin(); it != pulls_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    unrequested_ += it->second.remaining;
    connection_.unsubscribe(it->first);
    it = pulls_.erase(it);
  }
  request_credit();
  return count;
}

}  // namespace qlab::live
