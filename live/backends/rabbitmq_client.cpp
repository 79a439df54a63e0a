#include "live/backends/rabbitmq_client.hpp"

#include <sys/time.h>

#include <algorithm>
#include <functional>

#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr Time kPollSlice = 100 * kMillisecond;

// A numeric header value of any integer kind; 0 otherwise.
std::int64_t field_number(const amqp_field_value_t& value) {
  switch (value.kind) {
    case AMQP_FIELD_KIND_I8: return value.value.i8;
    case AMQP_FIELD_KIND_U8: return value.value.u8;
    case AMQP_FIELD_KIND_I16: return value.value.i16;
    case AMQP_FIELD_KIND_U16: return value.value.u16;
    case AMQP_FIELD_KIND_I32: return value.value.i32;
    case AMQP_FIELD_KIND_U32: return value.value.u32;
    case AMQP_FIELD_KIND_I64: return value.value.i64;
    case AMQP_FIELD_KIND_U64: return static_cast<std::int64_t>(value.value.u64);
    default: return 0;
  }
}

}  // namespace

RabbitmqClient::RabbitmqClient(const ClientConfig& config)
    : config_(config),
      layout_(config.queue, config.backend_options),
      connection_(config.endpoints,
                  config.endpoints.empty() ? 0 : std::hash<std::string>{}(config.name) % config.endpoints.size(),
                  kConnectTimeout) {
  if (config_.role == ClientRole::consumer) {
    connection_.declare_queue(layout_, layout_.queue(config_.consumer_index));
    return;
  }
  // Every queue up front: a synchronous declare between publishes would meet confirms on the channel.
  const std::uint32_t queues = layout_.preassigned() ? config_.consumer_count : 1;
  for (std::uint32_t i = 0; i < queues; ++i) connection_.declare_queue(layout_, layout_.queue(i));
  amqp_confirm_select(connection_.state(), RabbitmqConnection::kChannel);
  connection_.check_reply("confirm.select");
}

void RabbitmqClient::publish(std::span<const PublishRequest> batch) {
  const Time deadline = monotonic_now() + kPublishTimeout;
  for (const PublishRequest& request : batch) {
    const std::uint32_t consumer =
        layout_.preassigned() ? layout_.mapping().assign(request.message_id, request.key, turn_++, config_.consumer_count) : 0;
    const std::string queue = layout_.queue(consumer);
    amqp_table_entry_t headers[] = {amqp_number_entry("qlab-id", static_cast<std::int64_t>(request.message_id)),
                                    amqp_number_entry("qlab-intended", request.intended)};
    amqp_basic_properties_t properties{};
    properties._flags = AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    properties.delivery_mode = 2;  // persistent
    properties.headers = {2, headers};
    const amqp_bytes_t body{request.payload.size(), const_cast<char*>(request.payload.data())};
    connection_.check_status(amqp_basic_publish(connection_.state(), RabbitmqConnection::kChannel, amqp_empty_bytes,
                                                amqp_cstring_bytes(queue.c_str()), 0, 0, &properties, body),
                             "basic.publish");
    publishes_.add(next_publish_tag_++, request, deadline);
  }
}

void RabbitmqClient::pull(std::uint32_t count) {
  credit_ += count;
  if (consuming_) return;
  // The consumer's window is the first pull's count (the worker's prefetch): quorum queues have no channel-wide
  // prefetch, and a consumer's prefetch cannot change once it consumes.
  amqp_basic_qos(connection_.state(), RabbitmqConnection::kChannel, 0,
                 static_cast<std::uint16_t>(std::min<std::uint32_t>(credit_, UINT16_MAX)), 0);
  connection_.check_reply("basic.qos");
  const std::string queue = layout_.queue(config_.consumer_index);
  amqp_basic_consume(connection_.state(), RabbitmqConnection::kChannel, amqp_cstring_bytes(queue.c_str()),
                     amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  connection_.check_reply("basic.consume " + queue);
  consuming_ = true;
}

void RabbitmqClient::settle(std::uint64_t receipt, bool ack) {
  if (unacked_.erase(receipt) == 0) {
    // At-most-once deliveries were acked when handed out; anything else is a receipt of another connection.
    if (layout_.keeps_until_ack()) warnings_.push_back("rabbitmq: unknown receipt " + std::to_string(receipt));
    return;
  }
  const int status = ack ? amqp_basic_ack(connection_.state(), RabbitmqConnection::kChannel, receipt, 0)
                         : amqp_basic_reject(connection_.state(), RabbitmqConnection::kChannel, receipt, 1);
  connection_.check_status(status, ack ? "basic.ack" : "basic.reject");
}

void RabbitmqClient::ack(std::uint64_t receipt) { settle(receipt, true); }

void RabbitmqClient::release(std::uint64_t receipt) { settle(receipt, false); }

void RabbitmqClient::extend(std::uint64_t, Time) {
  warnings_.push_back("rabbitmq: extend cannot be expressed (no per-delivery timeout); ignored");
}

std::size_t RabbitmqClient::poll(Time timeout, BrokerEvents& events) {
  std::size_t count = warnings_.size();
  for (const std::string& warning : warnings_) events.on_warning(warning);
  warnings_.clear();
  const Time deadline = monotonic_now() + timeout;
  bool drained = false;  // the last read found nothing: past the deadline, stop (poll(0) still reads once)
  while (true) {
    const Time now = monotonic_now();
    count += publishes_.expire(now, events);
    count += hand_out(events);
    if (count > 0 || (now >= deadline && drained)) break;
    drained = !read_frame(std::clamp<Time>(deadline - now, 0, kPollSlice), events, count);
  }
  return count;
}

void RabbitmqClient::flush(Time) {
  // Nothing to wait for: every send above is a blocking write on the socket, which TCP delivers in order
  // (before the FIN of a later close, too).
}

bool RabbitmqClient::read_frame(Time timeout, BrokerEvents& events, std::size_t& count) {
  amqp_connection_state_t state = connection_.state();
  timeval limit{static_cast<time_t>(timeout / kSecond), static_cast<suseconds_t>((timeout % kSecond) / kMicrosecond)};
  amqp_frame_t frame;
  const int status = amqp_simple_wait_frame_noblock(state, &frame, &limit);
  if (status == AMQP_STATUS_TIMEOUT) return false;
  connection_.check_status(status, "reading");
  if (frame.frame_type != AMQP_FRAME_METHOD) return true;
  const void* decoded = frame.payload.method.decoded;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
      const auto* deliver = static_cast<const amqp_basic_deliver_t*>(decoded);
      on_deliver(deliver->delivery_tag, deliver->redelivered != 0);
      break;
    }
    case AMQP_BASIC_ACK_METHOD: {
      const auto* confirm = static_cast<const amqp_basic_ack_t*>(decoded);
      count += publishes_.resolve(confirm->multiple != 0 ? 0 : confirm->delivery_tag, confirm->delivery_tag, true,
                                  events);
      break;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* confirm = static_cast<const amqp_basic_nack_t*>(decoded);
      count += publishes_.resolve(confirm->multiple != 0 ? 0 : confirm->delivery_tag, confirm->delivery_tag, false,
                                  events);
      break;
    }
    case AMQP_CHANNEL_CLOSE_METHOD:  // e.g. the consumer_timeout expired: every delivery of the channel returns
      connection_.fail("channel closed by the broker: " +
                           amqp_text(static_cast<const amqp_channel_close_t*>(decoded)->reply_text),
                       true);
    case AMQP_CONNECTION_CLOSE_METHOD:
      connection_.fail("connection closed by the broker: " +
                           amqp_text(static_cast<const amqp_connection_close_t*>(decoded)->reply_text),
                       true);
    case AMQP_BASIC_CANCEL_METHOD:
      connection_.fail("the broker cancelled the consumer", true);
    default:
      break;  // qos-ok and the like
  }
  amqp_maybe_release_buffers(state);
  return true;
}

void RabbitmqClient::on_deliver(std::uint64_t delivery_tag, bool redelivered) {
  amqp_message_t message;
  const amqp_rpc_reply_t reply = amqp_read_message(connection_.state(), RabbitmqConnection::kChannel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) connection_.fail("reading a delivery's content", true);
  Delivery delivery;
  delivery.receipt = delivery_tag;
  delivery.receive_count = redelivered ? 2 : 1;
  if ((message.properties._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
    const amqp_table_t& headers = message.properties.headers;
    for (int i = 0; i < headers.num_entries; ++i) {
      const std::string key = amqp_text(headers.entries[i].key);
      const std::int64_t value = field_number(headers.entries[i].value);
      if (key == "qlab-id") delivery.message_id = static_cast<std::uint64_t>(value);
      if (key == "qlab-intended") delivery.intended = value;
      if (key == "x-delivery-count") delivery.receive_count = static_cast<std::uint32_t>(value + 1);
    }
  }
  amqp_destroy_message(&message);
  waiting_.push_back(delivery);
}

std::size_t RabbitmqClient::hand_out(BrokerEvents& events) {
  std::size_t count = 0;
  while (credit_ > 0 && !waiting_.empty()) {
    const Delivery delivery = waiting_.front();
    waiting_.pop_front();
    --credit_;
    if (layout_.keeps_until_ack()) {
      unacked_.insert(delivery.receipt);
    } else {
      connection_.check_status(
          amqp_basic_ack(connection_.state(), RabbitmqConnection::kChannel, delivery.receipt, 0), "basic.ack");
    }
    events.on_delivery(delivery);
    ++count;
  }
  return count;
}

}  // namespace qlab::live
