// The page's only way to the server over HTTP: same-origin fetches with the session cookie.
export async function api(path, options) {
  const response = await fetch(path, Object.assign({
    credentials: "same-origin", headers: { Accept: "application/json" },
  }, options || {}));
  if (response.status === 401 || response.status === 403) {
    window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname));
    throw new Error("not logged in");
  }
  const payload = await response.json();
  return { status: response.status, payload: payload };
}

export async function getData(path) {
  const result = await api(path);
  if (!result.payload.success) {
    throw new Error(path + ": " + (result.payload.error || result.status));
  }
  return result.payload;
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
