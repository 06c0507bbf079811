// Sign in: username and password; a wrong one answers one message that never says which.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { signIn } from "../api.js";
import { Field, FormError, useForm } from "../ui/forms.js";

export default function LoginPage() {
  const form = useForm({ username: "", password: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      await form.submit((v) => signIn(v.username.trim(), v.password));
    } catch {
      // shown by FormError; the typed username stays
    }
  }
  return html`<section class="login-card">
    <h1>${t("app.name")}</h1>
    <p class="muted">${t("login.subtitle")}</p>
    <form onSubmit=${onSubmit} novalidate>
      <${Field} label=${t("login.username")} name="username" autocomplete="username" dir="ltr" required error=${form.errors.username} ...${form.bind("username")} />
      <${Field} label=${t("login.password")} name="password" type="password" autocomplete="current-password" dir="ltr" required error=${form.errors.password} ...${form.bind("password")} />
      <${FormError} error=${form.failure} />
      <button type="submit" id="sign-in" disabled=${form.busy}>${form.busy ? t("state.working") : t("action.sign_in")}</button>
    </form>
  </section>`;
}
