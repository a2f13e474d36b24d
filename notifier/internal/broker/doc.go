// Package broker holds what the message-broker deliverers (AMQP, STOMP)
// share: the bodies a notification set becomes, and the client TLS
// settings of a broker connection.
package broker
