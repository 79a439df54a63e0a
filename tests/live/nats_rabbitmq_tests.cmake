# Tests of the NATS JetStream and RabbitMQ back ends against real servers (included from tests/live/CMakeLists.txt).
qlab_test(qlab_nats_backend_tests nats_backend_test.cpp)
target_link_libraries(qlab_nats_backend_tests PRIVATE qlab::nats_backend)

# The node-level RabbitMQ test runs only with QLAB_TEST_RABBITMQ=1 (a node takes 3-30 s to start here).
qlab_test(qlab_rabbitmq_backend_tests rabbitmq_backend_test.cpp)
target_link_libraries(qlab_rabbitmq_backend_tests PRIVATE qlab::rabbitmq_backend)
