# Tests of the NATS JetStream and RabbitMQ back ends against real servers (included from tests/live/CMakeLists.txt).
qlab_test(qlab_nats_backend_tests nats_backend_test.cpp)
target_link_libraries(qlab_nats_backend_tests PRIVATE qlab::nats_backend)

# The RabbitMQ tests take 13-28 s (one node, started twice) and 20-26 s (3-node cluster); QLAB_TEST_RABBITMQ=0
# skips them.
qlab_test(qlab_rabbitmq_backend_tests rabbitmq_backend_test.cpp)
target_link_libraries(qlab_rabbitmq_backend_tests PRIVATE qlab::rabbitmq_backend)

# `qlab live --backend rabbitmq` with a consumer SIGKILLed and one SIGSTOPped (20-30 s, most of it the node's
# start); exit code 77 (skipped) when QLAB_TEST_RABBITMQ=0 or rabbitmq-server is missing.
add_test(NAME live.rabbitmq_live
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/rabbitmq_live_test.py $<TARGET_FILE:qlab>)
set_tests_properties(live.rabbitmq_live PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
