#include "live/backends/buffered_events.hpp"

namespace qlab::live {

std::size_t BufferedEvents::replay(BrokerEvents& to) {
  // Swap first: a handler may call back into the client, which may buffer new events.
  std::vector<std::variant<PublishResult, Delivery, std::string>> events;
  events.swap(events_);
  for (const auto& e : events) {
    if (const auto* p = std::get_if<PublishResult>(&e)) {
      to.on_published(*p);
    } else if (const auto* d = std::get_if<Delivery>(&e)) {
      to.on_delivery(*d);
    } else {
      to.on_warning(std::get<std::string>(e));
    }
  }
  return events.size();
}

}  // namespace qlab::live
