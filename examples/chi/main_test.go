package main

import (
	"testing"

	"github.com/sessbridge/sessbridge/examples/internal/hellotest"
)

// TestHelloSharesSessionWithPHP: PHP's files handler writes a session, the
// app serves it, and PHP reads back the flash message the app added; a new
// session the app starts reaches the client's cookie and PHP.
func TestHelloSharesSessionWithPHP(t *testing.T) {
	hellotest.Run(t, "chi", newRouter)
}
