# Tests of the NATS JetStream and RabbitMQ back ends against real servers (included from tests/live/CMakeLists.txt).
qlab_test(qlab_nats_backend_tests nats_backend_test.cpp)
target_link_libraries(qlab_nats_backend_tests PRIVATE qlab::nats_backend)

# The RabbitMQ tests take 13-28 s (one node, started twice) and 20-26 s (3-node cluster); QLAB_TEST_RABBITMQ=0
# skips them.
qlab_test(qlab_rabbitmq_backend_tests rabbitmq_backend_test.cpp)
target_link_libraries(qlab_rabbitmq_backend_tests PRIVATE qlab::rabbitmq_backend)
