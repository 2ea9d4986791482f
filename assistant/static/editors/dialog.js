// One modal question at a time, in the page's <dialog>: resolves true when its OK button is pressed.

const dialog = () => document.getElementById("confirm");

export function ask({ title, body = [], ok }) {
  const box = dialog();
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-body").replaceChildren(...body);
  document.getElementById("confirm-ok").textContent = ok;
  box.returnValue = "";
  box.showModal();
  return new Promise((resolve) => {
    box.addEventListener("close", () => resolve(box.returnValue === "ok"), { once: true });
  });
}
