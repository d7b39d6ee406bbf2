// A small risk-scoring service: POST /score {"amount": 1200, "country": "DE"}.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

type request struct {
	Amount  float64 `json:"amount"`
	Country string  `json:"country"`
}

func score(r request) float64 {
	s := r.Amount / 10000
	if r.Country != "DE" && r.Country != "FR" && r.Country != "NL" {
		s += 0.3
	}
	if s > 1 {
		s = 1
	}
	return s
}

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	http.HandleFunc("/score", func(w http.ResponseWriter, req *http.Request) {
		var r request
		if err := json.NewDecoder(req.Body).Decode(&r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]float64{"score": score(r)})
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
