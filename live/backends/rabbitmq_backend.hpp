#pragma once
// The RabbitMQ back end for the registry: client, launcher and what it can express (docs/BACKENDS.md).
#include "live/backends/backend_registry.hpp"

namespace qlab::live {

Backend rabbitmq_backend();

}  // namespace qlab::live
