# The NATS JetStream and RabbitMQ back ends (included from live/CMakeLists.txt). Each is its own library so
# the registry links what it lists; both start their servers through qlab::live's ChildProcess.
add_library(qlab_nats_backend
  backends/local_server.cpp
  backends/nats_backend.cpp
  backends/nats_client.cpp
  backends/nats_connection.cpp
  backends/nats_launcher.cpp
  backends/nats_layout.cpp
)
add_library(qlab::nats_backend ALIAS qlab_nats_backend)
target_link_libraries(qlab_nats_backend PUBLIC qlab::live qlab::queues nlohmann_json::nlohmann_json)
qlab_warnings(qlab_nats_backend)
