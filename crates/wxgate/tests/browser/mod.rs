//! Debian's headless Chromium driven over the DevTools protocol (a WebSocket of JSON commands): open a page, click
//! and type as a user does (real input events), read the page, take screenshots, accept downloads and pick files.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The Chromium binary, if installed (`WXGATE_TEST_CHROMIUM` overrides).
pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("WXGATE_TEST_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// One browser with one page.
pub struct Browser {
    child: tokio::process::Child,
    profile: PathBuf,
    socket: Socket,
    session: String,
    next_id: u64,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts Chromium headless with a fresh profile and opens a blank page.
    pub async fn launch(binary: &Path, width: u32, height: u32) -> anyhow::Result<Browser> {
        let profile = std::env::temp_dir().join(format!("wxgate-chromium-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&profile)?;
        let mut child = tokio::process::Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stderr = child.stderr.take().context("chromium stderr")?;
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let ws_url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Ok(url.trim().to_owned());
                }
            }
            bail!("chromium exited before it listened")
        })
        .await
        .context("chromium did not start its DevTools endpoint in 30 s")??;
        // Keep draining stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.context("DevTools WebSocket")?;
        let mut browser = Browser { child, profile, socket, session: String::new(), next_id: 0 };
        let target = browser.send(None, "Target.createTarget", json!({"url": "about:blank"})).await?;
        let target_id = target["targetId"].as_str().context("targetId")?.to_owned();
        let attached =
            browser.send(None, "Target.attachToTarget", json!({"targetId": target_id, "flatten": true})).await?;
        browser.session = attached["sessionId"].as_str().context("sessionId")?.to_owned();
        browser.call("Page.enable", json!({})).await?;
        browser
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await?;
        Ok(browser)
    }

    async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.socket.send(Message::text(msg.to_string())).await?;
        let reply = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(frame) = self.socket.next().await {
                let Message::Text(text) = frame? else { continue };
                let v: Value = serde_json::from_str(&text)?;
                if v["id"].as_u64() == Some(id) {
                    return Ok(v);
                }
            }
            bail!("the DevTools connection closed")
        })
        .await
        .with_context(|| format!("{method}: no answer in 60 s"))??;
        if let Some(err) = reply.get("error") {
            bail!("{method}: {err}");
        }
        Ok(reply["result"].clone())
    }

    /// A command to the page.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let session = self.session.clone();
        self.send(Some(&session), method, params).await
    }

    /// A command to the browser (not the page).
    pub async fn call_browser(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.send(None, method, params).await
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&mut self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({"url": url})).await?;
        self.wait_for("document.readyState === 'complete'", Duration::from_secs(30)).await?;
        Ok(())
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value.
    pub async fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let r = self
            .call("Runtime.evaluate", json!({"expression": expression, "awaitPromise": true, "returnByValue": true}))
            .await?;
        if let Some(ex) = r.get("exceptionDetails") {
            bail!("{expression}: {}", ex["exception"]["description"].as_str().unwrap_or(&ex.to_string()));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Waits until `expression` is truthy (checked every 100 ms) and returns its value; fails after `limit`.
    pub async fn wait_for(&mut self, expression: &str, limit: Duration) -> anyhow::Result<Value> {
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let v = self.eval(expression).await?;
            if !matches!(v, Value::Null | Value::Bool(false)) && v != json!("") && v != json!(0) {
                return Ok(v);
            }
            if tokio::time::Instant::now() > give_up {
                return Err(anyhow!("still false after {limit:?}: {expression}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the middle of the first element matching `selector` with the mouse.
    pub async fn click(&mut self, selector: &str) -> anyhow::Result<()> {
        let js = format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            sel = json!(selector)
        );
        let at = self.eval(&js).await?;
        let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else { bail!("no element {selector}") };
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )
            .await?;
        }
        Ok(())
    }

    /// Clicks into `selector`, types `text` and presses Enter.
    pub async fn type_and_enter(&mut self, selector: &str, text: &str) -> anyhow::Result<()> {
        self.click(selector).await?;
        self.call("Input.insertText", json!({"text": text})).await?;
        self.press("Enter").await
    }

    /// Presses and releases a key (`Enter`, `Tab`, …) in the focused element.
    pub async fn press(&mut self, key: &str) -> anyhow::Result<()> {
        let code = match key {
            "Enter" => 13,
            "Tab" => 9,
            " " => 32,
            _ => 0,
        };
        for kind in ["keyDown", "keyUp"] {
            let mut ev = json!({"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code});
            if kind == "keyDown" && key == "Enter" {
                ev["text"] = json!("\r");
            }
            self.call("Input.dispatchKeyEvent", ev).await?;
        }
        Ok(())
    }

    /// Sets the files of the file input `selector` (as a user picking them).
    pub async fn pick_files(&mut self, selector: &str, files: &[&Path]) -> anyhow::Result<()> {
        let doc = self.call("DOM.getDocument", json!({})).await?;
        let root = doc["root"]["nodeId"].clone();
        let node = self.call("DOM.querySelector", json!({"nodeId": root, "selector": selector})).await?;
        let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        self.call("DOM.setFileInputFiles", json!({"nodeId": node["nodeId"], "files": files})).await?;
        Ok(())
    }

    /// Saves downloads into `dir`.
    pub async fn download_to(&mut self, dir: &Path) -> anyhow::Result<()> {
        let params = json!({"behavior": "allow", "downloadPath": dir.display().to_string()});
        self.call_browser("Browser.setDownloadBehavior", params).await?;
        Ok(())
    }

    /// A PNG of the page as it is shown.
    pub async fn screenshot(&mut self, path: &Path) -> anyhow::Result<()> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().context("data")?)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }
}

impl Browser {
    /// A PNG of the top-left `width` × `height` pixels of the page.
    pub async fn screenshot_clip(&mut self, path: &Path, width: u32, height: u32) -> anyhow::Result<()> {
        let clip = json!({"x": 0, "y": 0, "width": width, "height": height, "scale": 1});
        let shot = self.call("Page.captureScreenshot", json!({"format": "png", "clip": clip})).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().context("data")?)?;
        std::fs::write(path, png)?;
        Ok(())
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64)
}
