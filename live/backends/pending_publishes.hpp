#pragma once
// Publishes sent and not yet confirmed, by a key the back end chooses (a reply token, a confirm tag), each
// reported exactly once: confirmed, refused, or refused because no answer came by its deadline.
#include <cstdint>
#include <map>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"

namespace qlab::live {

class PendingPublishes {
 public:
  void add(std::uint64_t key, const PublishRequest& request, Time deadline) {
    pending_[key] = {request.client_seq, request.message_id, deadline};
  }
  // Reports every pending publish with a key in [first, last]; returns how many. Keys already reported are gone.
  std::size_t resolve(std::uint64_t first, std::uint64_t last, bool accepted, BrokerEvents& events) {
    std::size_t count = 0;
    for (auto it = pending_.lower_bound(first); it != pending_.end() && it->first <= last; ++count) {
      events.on_published({it->second.client_seq, it->second.message_id, accepted});
      it = pending_.erase(it);
    }
    return count;
  }
  // Reports as refused every publish whose deadline has passed; returns how many.
  std::size_t expire(Time now, BrokerEvents& events) {
    std::size_t count = 0;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      events.on_published({it->second.client_seq, it->second.message_id, false});
      ++count;
      it = pending_.erase(it);
    }
    return count;
  }

 private:
  struct Pending {
    std::uint64_t client_seq = 0;
    std::uint64_t message_id = 0;
    Time deadline = 0;
  };
  std::map<std::uint64_t, Pending> pending_;
};

}  // namespace qlab::live
