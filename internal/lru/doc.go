// Package lru is a small, concurrency-safe least-recently-used cache with
// an age limit.
package lru
