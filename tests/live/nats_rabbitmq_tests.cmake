# Tests of the NATS JetStream and RabbitMQ back ends against real servers (included from tests/live/CMakeLists.txt).
qlab_test(qlab_nats_backend_tests nats_backend_test.cpp)
target_link_libraries(qlab_nats_backend_tests PRIVATE qlab::nats_backend)

# The RabbitMQ node test takes 20-25 s (two node starts); QLAB_TEST_RABBITMQ=0 skips it.
qlab_test(qlab_rabbitmq_backend_tests rabbitmq_backend_test.cpp)
target_link_libraries(qlab_rabbitmq_backend_tests PRIVATE qlab::rabbitmq_backend)
