# The NATS JetStream and RabbitMQ back ends (included from live/CMakeLists.txt), each its own library so the
# registry links what it lists.
# What every back end shares: its server nodes on their hosts (server_node) and reading the scenario's queue.
add_library(qlab_real_broker_support
  backends/queue_mapping.cpp
  backends/server_node.cpp
)
add_library(qlab::real_broker_support ALIAS qlab_real_broker_support)
target_link_libraries(qlab_real_broker_support PUBLIC qlab::live qlab::queues qlab::core nlohmann_json::nlohmann_json)
qlab_warnings(qlab_real_broker_support)

add_library(qlab_nats_backend
  backends/nats_backend.cpp
  backends/nats_client.cpp
  backends/nats_connection.cpp
  backends/nats_launcher.cpp
  backends/nats_layout.cpp
)
add_library(qlab::nats_backend ALIAS qlab_nats_backend)
target_link_libraries(qlab_nats_backend PUBLIC qlab::live qlab::real_broker_support qlab::queues nlohmann_json::nlohmann_json)
qlab_warnings(qlab_nats_backend)

find_package(rabbitmq-c REQUIRED)
add_library(qlab_rabbitmq_backend
  backends/rabbitmq_backend.cpp
  backends/rabbitmq_client.cpp
  backends/rabbitmq_connection.cpp
  backends/rabbitmq_launcher.cpp
  backends/rabbitmq_layout.cpp
)
add_library(qlab::rabbitmq_backend ALIAS qlab_rabbitmq_backend)
target_link_libraries(qlab_rabbitmq_backend PUBLIC qlab::live qlab::real_broker_support qlab::queues rabbitmq::rabbitmq
  nlohmann_json::nlohmann_json)
qlab_warnings(qlab_rabbitmq_backend)
