//! The menu buttons a simulated user can press in the console (the server's `CLICK` keys: WeChat's menu is set
//! through an API the simulator does not play, so whoever starts the simulator says which buttons exist).

use serde::{Deserialize, Serialize};

/// One menu button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuButton {
    /// The button's `EventKey`.
    pub key: String,
    /// What the button says.
    pub label: String,
}
