//! helm (v4) and the CRDs of the chart's optional parts (KEDA's ScaledObject, the Prometheus
//! Operator's PodMonitor), built and gathered from the Go module proxy by `tests/helm/build.sh`
//! (once per machine, cached outside the clone).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::go_build::go_build;
use crate::HarnessError;

/// The helm binary and the extra CRDs.
#[derive(Debug, Clone)]
pub struct Helm {
    home: PathBuf,
}

impl Helm {
    /// Builds helm when this machine has not yet.
    pub fn get() -> Result<Helm, HarnessError> {
        Ok(Helm {
            home: go_build("helm/build.sh")?,
        })
    }

    /// Runs `helm <args>`; its standard output, or an error with its standard error.
    pub fn run(&self, args: &[&str]) -> Result<String, HarnessError> {
        let output = Command::new(self.home.join("bin/helm"))
            .args(args)
            .env("HELM_CACHE_HOME", self.home.join("helm-cache"))
            .env("HELM_CONFIG_HOME", self.home.join("helm-config"))
            .env("HELM_DATA_HOME", self.home.join("helm-data"))
            .output()
            .map_err(HarnessError::io("running helm"))?;
        if !output.status.success() {
            return Err(HarnessError::Usage(format!(
                "helm {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `helm template <release> <chart> --namespace <namespace>` with `values` files.
    pub fn template(
        &self,
        chart: &Path,
        release: &str,
        namespace: &str,
        values: &[&Path],
    ) -> Result<String, HarnessError> {
        let chart = chart.display().to_string();
        let values: Vec<String> = values.iter().map(|v| v.display().to_string()).collect();
        let mut args = vec!["template", release, &chart, "--namespace", namespace];
        for file in &values {
            args.extend(["--values", file]);
        }
        self.run(&args)
    }

    /// The CRD files of KEDA's ScaledObject and the Prometheus Operator's PodMonitor.
    pub fn extra_crds(&self) -> Result<Vec<PathBuf>, HarnessError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.home.join("crds"))
            .map_err(HarnessError::io("listing the extra CRDs"))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        files.sort();
        Ok(files)
    }
}
