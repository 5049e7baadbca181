//! The sign-in form shown while this browser is not signed in to the proxy: the proxy's token, a sign-in code it
//! printed or (team mode) a person's key, typed or pasted, sent in a body (`POST /api/v1/sign-in`) so it stays out
//! of the address bar, history and access logs. Signed in, the page asks the proxy again and finds it connected —
//! no reload, so nothing typed on the page (a bid, launch details) is lost.

use yew::prelude::*;

use crate::i18n::{Key, Lang, text};

/// Properties of [`SignInForm`].
#[derive(Debug, Properties, PartialEq)]
pub struct SignInFormProps {
    /// The page's language.
    pub lang: Lang,
    /// Called once the proxy has taken the sign-in.
    pub on_signed_in: Callback<()>,
}

/// The form: one password field and a button; the proxy's refusal is shown beside the field.
#[component]
pub fn SignInForm(props: &SignInFormProps) -> Html {
    let t = |key| text(props.lang, key);
    let token = use_state(String::new);
    let refused = use_state(|| None::<String>);
    // Sent with nothing in the field: said in the page's language, and gone once something is typed.
    let empty = use_state(|| false);
    let typed = {
        let (token, empty) = (token.clone(), empty.clone());
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            token.set(input.value());
            empty.set(false);
        })
    };
    let props_lang = props.lang;
    let submit = {
        let (token, refused, empty) = (token.clone(), refused.clone(), empty.clone());
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (given, refused) = ((*token).trim().to_owned(), refused.clone());
            empty.set(given.is_empty());
            if given.is_empty() {
                refused.set(None);
                return;
            }
            let on_signed_in = on_signed_in.clone();
            let lang = props_lang;
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::sign_in(&given).await {
                    Ok(()) => on_signed_in.emit(()),
                    Err(error) => refused.set(Some(crate::i18n::proxy::api_error(lang, &error))),
                }
            });
        })
    };
    html! {
        <form class="sign-in-form" data-testid="sign-in-form" onsubmit={submit}>
            <label for="sign-in-token">{ t(Key::SignInToken) }</label>
            <input id="sign-in-token" type="password" autocomplete="current-password" value={(*token).clone()}
                oninput={typed} aria-describedby="sign-in-refused" aria-invalid={(*empty || refused.is_some()).to_string()} />
            <button type="submit">{ t(Key::SignIn) }</button>
            if *empty {
                <p id="sign-in-refused" role="alert" class="error" data-testid="sign-in-refused">{ t(Key::SignInEmpty) }</p>
            } else if let Some(message) = &*refused {
                <p id="sign-in-refused" role="alert" class="error" data-testid="sign-in-refused">{ message }</p>
            }
        </form>
    }
}
