#include "live/backends/rabbitmq_connection.hpp"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstring>

namespace qlab::live {
namespace {

timeval to_timeval(Time t) {
  if (t < 0) t = 0;
  return {static_cast<time_t>(t / kSecond), static_cast<suseconds_t>((t % kSecond) / kMicrosecond)};
}

amqp_table_entry_t text_entry(const char* key, const char* value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_cstring_bytes(value);
  return entry;
}

}  // namespace

std::string amqp_text(amqp_bytes_t bytes) { return std::string(static_cast<const char*>(bytes.bytes), bytes.len); }

amqp_table_entry_t amqp_number_entry(const char* key, std::int64_t value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_I64;
  entry.value.value.i64 = value;
  return entry;
}

RabbitmqConnection::RabbitmqConnection(const std::vector<Endpoint>& endpoints, std::size_t first, Time timeout) {
  std::string errors;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    endpoint_ = endpoints[(first + i) % endpoints.size()];
    state_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(state_);
    timeval limit = to_timeval(timeout);
    amqp_set_rpc_timeout(state_, &limit);
    amqp_set_handshake_timeout(state_, &limit);
    const int opened = socket == nullptr ? AMQP_STATUS_NO_MEMORY
                                         : amqp_socket_open_noblock(socket, endpoint_.host.c_str(), endpoint_.port, &limit);
    std::string error;
    if (opened != AMQP_STATUS_OK) {
      error = amqp_error_string2(opened);
    } else {
      const amqp_rpc_reply_t login = amqp_login(state_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
      if (login.reply_type != AMQP_RESPONSE_NORMAL) {
        error = "login failed";
      } else {
        amqp_channel_open(state_, kChannel);
        if (amqp_get_rpc_reply(state_).reply_type != AMQP_RESPONSE_NORMAL) error = "channel.open failed";
      }
    }
    if (error.empty()) return;
    errors += (errors.empty() ? "" : "; ") + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " + error;
    amqp_destroy_connection(state_);
    state_ = nullptr;
  }
  throw BackendError("rabbitmq: " + (errors.empty() ? std::string("no endpoint") : errors), true);
}

RabbitmqConnection::~RabbitmqConnection() {
  // No connection.close handshake: a closed socket is what a crashed client leaves too, and it never blocks.
  amqp_destroy_connection(state_);
}

std::string RabbitmqConnection::server_version() const {
  const amqp_table_t* properties = amqp_get_server_properties(state_);
  std::string product = "RabbitMQ";
  std::string version;
  for (int i = 0; properties != nullptr && i < properties->num_entries; ++i) {
    const amqp_table_entry_t& entry = properties->entries[i];
    if (entry.value.kind != AMQP_FIELD_KIND_UTF8) continue;
    if (amqp_text(entry.key) == "version") version = amqp_text(entry.value.value.bytes);
    if (amqp_text(entry.key) == "product") product = amqp_text(entry.value.value.bytes);
  }
  return product + " " + version;
}

void RabbitmqConnection::declare_queue(const RabbitmqLayout& layout, const std::string& name) {
  std::vector<amqp_table_entry_t> entries;
  if (layout.quorum()) {
    entries.push_back(text_entry("x-queue-type", "quorum"));
    entries.push_back(amqp_number_entry("x-quorum-initial-group-size", layout.replicas()));
  }
  if (name != RabbitmqLayout::kDeadQueue && layout.delivery_limit() >= 0) {
    entries.push_back(amqp_number_entry("x-delivery-limit", layout.delivery_limit()));
    entries.push_back(text_entry("x-dead-letter-exchange", ""));
    entries.push_back(text_entry("x-dead-letter-routing-key", RabbitmqLayout::kDeadQueue));
  }
  const amqp_table_t arguments{static_cast<int>(entries.size()), entries.data()};
  amqp_queue_declare(state_, kChannel, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0, arguments);
  check_reply("queue.declare " + name);
}

void RabbitmqConnection::check_status(int status, const std::string& what) const {
  if (status != AMQP_STATUS_OK) fail(what + ": " + amqp_error_string2(status), true);
}

void RabbitmqConnection::check_reply(const std::string& what) const {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      fail(what + ": " + amqp_error_string2(reply.library_error), true);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
        // 406 PRECONDITION_FAILED: a queue declared with other arguments; a configuration error.
        fail(what + ": " + amqp_text(close->reply_text), close->reply_code != 406);
      }
      fail(what + ": the server closed the connection", true);
    case AMQP_RESPONSE_NONE:
      break;
  }
  fail(what + ": no reply", true);
}

void RabbitmqConnection::fail(const std::string& what, bool lost) const {
  throw BackendError("rabbitmq " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " + what, lost);
}

}  // namespace qlab::live
