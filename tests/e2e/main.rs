//! Browser end-to-end tests: real headless Chromium, the real server, a host page on another
//! origin that uses the snippet. One binary, one module per area.

mod agents;
mod appearance;
mod dashboard;
mod fail_closed;
mod inbox;
mod lifecycle;
mod loader;
mod npm;
mod screenshots;
mod strict;
mod typescript;
mod widget;
