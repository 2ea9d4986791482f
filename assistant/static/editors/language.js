// The page-language picker submits itself when a language is chosen (its button stays for keyboards).

const form = document.getElementById("page-language");
if (form) form.querySelector("select").addEventListener("change", () => form.submit());
