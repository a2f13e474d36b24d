// Package brokertest gives tests a real message broker: RabbitMQ, over
// AMQP 0-9-1 and over its STOMP plugin.
//
// The broker is the one $LOUPE_TEST_AMQP names (an amqp:// URL, default
// amqp://guest:guest@127.0.0.1:5672/), and its STOMP listener
// $LOUPE_TEST_STOMP (host:port, default 127.0.0.1:61613). When a broker
// cannot be reached, the tests that need it are skipped with a message on
// stderr that says so, unless CI=true, where they fail.
//
// RabbitMQ's STOMP plugin is off by default; turn it on once with
//
//	rabbitmq-plugins enable rabbitmq_stomp
//
// RabbitMQ takes a STOMP CONNECT's host header as the virtual host; the
// tests connect with STOMPHost, the default virtual host "/".
//
// Tests isolate themselves with names of their own: Admin declares
// uniquely named queues and exchanges and deletes them when the test
// ends, so tests run in parallel. Proxy stands between a client and the
// broker, to cut connections from the outside.
package brokertest
