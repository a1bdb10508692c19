module github.com/sessbridge/sessbridge/examples/chi

go 1.26.0

require github.com/sessbridge/sessbridge v0.0.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/sessbridge/sessbridge => ../..
