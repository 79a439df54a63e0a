# Tests of the NATS JetStream and RabbitMQ back ends against real servers (included from tests/live/CMakeLists.txt).
qlab_test(qlab_nats_backend_tests nats_backend_test.cpp)
target_link_libraries(qlab_nats_backend_tests PRIVATE qlab::nats_backend)
