//! A real headless browser for the web console's tests: Debian's Chromium driven over
//! WebDriver by Debian's chromedriver (packages `chromium` and `chromium-driver`, which the
//! test script installs), through the `fantoccini` client. Each [`Browser`] has its own
//! chromedriver on a free port and its own session; the driver dies with the browser.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::{ChildProcess, HarnessError};
use tributary_local_kafka::{free_ports, require_program};

/// How long chromedriver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(30);

/// A headless Chromium session.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: ChildProcess,
}

impl Browser {
    /// Starts chromedriver (its log in `log_dir`) and a headless Chromium session with a
    /// 1400x1000 window that keeps the page's console messages.
    pub async fn start(log_dir: &Path) -> Result<Self, HarnessError> {
        require_program("chromedriver", "chromium-driver")?;
        require_program("chromium", "chromium")?;
        let port = free_ports(1)?[0];
        let mut command = Command::new("chromedriver");
        command.arg(format!("--port={port}"));
        let mut driver = ChildProcess::spawn(command, &log_dir.join("chromedriver.log"))?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > DRIVER_START {
                driver.kill();
                return Err(HarnessError::Usage(format!(
                    "chromedriver did not listen on port {port} within {DRIVER_START:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1400,1000"],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| HarnessError::Usage(format!("cannot start a Chromium session: {e}")))?;
        Ok(Browser { client, driver })
    }

    /// The page's console messages since the last call, as chromedriver keeps them
    /// (`{"level", "message", "source"}`; failed loads and script errors are `SEVERE`).
    pub async fn console_messages(&self) -> Result<Vec<Value>, HarnessError> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .map_err(|e| HarnessError::Usage(format!("cannot read the browser's console: {e}")))?;
        Ok(log.as_array().cloned().unwrap_or_default())
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.driver.kill();
    }
}

/// chromedriver's `POST /session/{id}/se/log` for the `browser` log (outside the W3C
/// standard, which has no console access).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}
