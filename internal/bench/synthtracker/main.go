package main

import (
	"flag"
	"log"
	"os"

	"github.com/loupe-dev/loupe/internal/bench"
)

func main() {
	layer := flag.String("layer", "", "a gzip-compressed Debian layer (tar)")
	out := flag.String("o", "tracker.json", "where to write the export")
	flag.Parse()
	blob, err := os.ReadFile(*layer)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := bench.SynthesizeTracker(blob)
	if err != nil {
		log.Fatalf("%s: %v", *layer, err)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		log.Fatal(err)
	}
}
