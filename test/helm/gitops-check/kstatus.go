// `gitops-check kstatus <file>...`: what kstatus — sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute, the
// library Flux's health checks and `kubectl wait`-style tools use — computes for each object of each YAML
// file. One JSON line per object: {file, kind, name, status, message, error}; status is InProgress,
// Current, Failed, Terminating, NotFound or Unknown. Exits 1 when an object cannot be computed.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

type kstatusReport struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

// computeFile returns one report per object in the file (empty documents skipped).
func computeFile(file string) ([]kstatusReport, error) {
	docs, err := yamlDocuments(file)
	if err != nil {
		return nil, err
	}
	var reports []kstatusReport
	for _, doc := range docs {
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue // an empty document (comments only)
		}
		// Unstructured's JSON decoding keeps integers as int64, as a client reading the API server would.
		u := &unstructured.Unstructured{}
		r := kstatusReport{File: file}
		if err := u.UnmarshalJSON(js); err != nil {
			r.Error = err.Error()
		} else if res, err := status.Compute(u); err != nil {
			r.Kind, r.Name, r.Error = u.GetKind(), u.GetName(), err.Error()
		} else {
			r.Kind, r.Name, r.Status, r.Message = u.GetKind(), u.GetName(), res.Status.String(), res.Message
		}
		reports = append(reports, r)
	}
	return reports, nil
}

func kstatusMain(args []string) {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gitops-check kstatus <file.yaml>...")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	failed := false
	for _, file := range args {
		reports, err := computeFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gitops-check kstatus:", err)
			os.Exit(2)
		}
		for _, r := range reports {
			failed = failed || r.Error != ""
			_ = out.Encode(r)
		}
	}
	if failed {
		os.Exit(1)
	}
}
