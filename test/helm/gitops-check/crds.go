// `gitops-check crds [dir]`: exports the CustomResourceDefinitions that Argo CD, Flux and the Prometheus
// Operator ship, so the examples and the chart's monitoring objects can be dry-run against a real API
// server. They come from the projects' own Go modules (a module zip holds the repository's files), fetched
// with `go mod download` into Go's module cache — nothing third-party is committed here. The Flux CRDs are
// taken at the versions of the Flux API modules this tool decodes with, so both checks see the same API.
// dir defaults to ../crds beside the executable (test/helm/build.sh runs this right after building, so the
// CRDs sit in the tool's versioned cache folder). Files already there are not fetched again.
// One JSON line per CRD: {module, version, source, path}. Needs the go command only when fetching.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
)

type crdSource struct {
	Module  string
	Version string // "" = the version of VersionOf in this binary's build
	// VersionOf is a Go module this tool is built with whose version the CRDs must match.
	VersionOf string
	Files     []string
}

var crdSources = []crdSource{
	{Module: "github.com/fluxcd/kustomize-controller", VersionOf: "github.com/fluxcd/kustomize-controller/api",
		Files: []string{"config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"}},
	{Module: "github.com/fluxcd/source-controller", VersionOf: "github.com/fluxcd/source-controller/api",
		Files: []string{"config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"}},
	// github.com/fluxcd/helm-controller (HelmRelease CRD) is not served by the module proxy this project
	// reaches, so HelmRelease stays checked by the strict Go decode only.
	// v3.5.7: the newest Argo CD whose go.mod needs no newer Go than 1.26 (v3.6.x needs 1.27).
	{Module: "github.com/argoproj/argo-cd/v3", Version: "v3.5.7",
		Files: []string{"manifests/crds/application-crd.yaml"}},
	// The only root-module version of prometheus-operator the module proxy lists.
	{Module: "github.com/prometheus-operator/prometheus-operator", Version: "v0.85.0",
		Files: []string{
			"example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
			"example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
		}},
}

type crdReport struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	Source  string `json:"source"`
	Path    string `json:"path"`
}

func builtVersion(module string) (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("no build info to read the version of %s from", module)
	}
	for _, dep := range info.Deps {
		if dep.Path == module {
			if dep.Replace != nil {
				return dep.Replace.Version, nil
			}
			return dep.Version, nil
		}
	}
	return "", fmt.Errorf("%s is not in this binary's build", module)
}

// moduleDir downloads module@version into Go's module cache (a no-op when it is there) and returns its folder.
func moduleDir(module, version string) (string, error) {
	tmp, err := os.MkdirTemp("", "gitops-check-crds-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = tmp // outside any module: only this module is fetched, none of its dependencies
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	cmd.Stderr = os.Stderr
	out, runErr := cmd.Output()
	var res struct{ Dir, Error string }
	if err := json.Unmarshal(out, &res); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v (%v)", module, version, runErr, err)
	}
	if res.Error != "" || res.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, res.Error)
	}
	return res.Dir, nil
}

func exportCrds(dir string) ([]crdReport, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var reports []crdReport
	for _, src := range crdSources {
		version := src.Version
		if version == "" {
			v, err := builtVersion(src.VersionOf)
			if err != nil {
				return nil, err
			}
			version = v
		}
		modDir := ""
		for _, file := range src.Files {
			// The version is in the name, so a CRD of another version is never taken for this one.
			dest := filepath.Join(dir, version+"_"+filepath.Base(file))
			if _, err := os.Stat(dest); err != nil {
				if modDir == "" {
					d, err := moduleDir(src.Module, version)
					if err != nil {
						return nil, err
					}
					modDir = d
				}
				data, err := os.ReadFile(filepath.Join(modDir, file))
				if err != nil {
					return nil, err
				}
				if err := os.WriteFile(dest+".tmp", data, 0o644); err != nil {
					return nil, err
				}
				if err := os.Rename(dest+".tmp", dest); err != nil {
					return nil, err
				}
			}
			reports = append(reports, crdReport{Module: src.Module, Version: version, Source: file, Path: dest})
		}
	}
	return reports, nil
}

func crdsMain(args []string) {
	var dir string
	switch len(args) {
	case 0:
		exe, err := os.Executable()
		if err == nil {
			exe, err = filepath.EvalSymlinks(exe)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gitops-check crds:", err)
			os.Exit(2)
		}
		dir = filepath.Join(filepath.Dir(filepath.Dir(exe)), "crds")
	case 1:
		dir = args[0]
	default:
		fmt.Fprintln(os.Stderr, "usage: gitops-check crds [dir]")
		os.Exit(2)
	}
	reports, err := exportCrds(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gitops-check crds:", err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	for _, r := range reports {
		_ = out.Encode(r)
	}
}
