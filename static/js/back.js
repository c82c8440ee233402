// "Back to the previous page" on the error pages: history.back() when there is a page to go back to.
// A script file, because the Content-Security-Policy forbids inline script and javascript: links.
for (const link of document.querySelectorAll("a[data-back]")) {
  if (window.history.length > 1) {
    link.hidden = false;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      window.history.back();
    });
  }
}
