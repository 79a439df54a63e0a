#pragma once
// Broker events kept for later: what a client reads while it waits for something else (flush(), set-up
// replies) is reported by the next poll(), in arrival order.
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "live/backends/broker_client.hpp"

namespace qlab::live {

class BufferedEvents final : public BrokerEvents {
 public:
  void on_published(const PublishResult& result) override { events_.emplace_back(result); }
  void on_delivery(const Delivery& delivery) override { events_.emplace_back(delivery); }
  void on_warning(const std::string& text) override { events_.emplace_back(text); }

  bool empty() const { return events_.empty(); }
  // Reports every kept event to `to` and forgets them; returns how many.
  std::size_t replay(BrokerEvents& to);

 private:
  std::vector<std::variant<PublishResult, Delivery, std::string>> events_;
};

}  // namespace qlab::live
