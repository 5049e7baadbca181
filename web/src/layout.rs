//! The page widths the layout changes at, shared by the stylesheet (`web/style.css` uses the same numbers) and
//! the components that behave differently there.

/// Phone-narrow pages: each table row is a two-line card.
pub const NARROW: &str = "(max-width: 600px)";
/// Wide pages: the chosen offer's bid, request and submit sit in a sticky panel beside the table.
pub const SIDE_PANEL: &str = "(min-width: 1400px)";

/// Whether the page matches a media query now.
pub fn matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|window| window.match_media(query).ok().flatten())
        .is_some_and(|list| list.matches())
}
