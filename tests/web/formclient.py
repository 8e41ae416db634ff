"""A phone's browser without JavaScript, for tests: it reads a page's forms as the browser
would and posts exactly what they hold.

Pages are parsed into a small tree (the standard library's ``html.parser``); a form's
successful controls are what a browser sends: hidden and text inputs, textareas, the checked
radio buttons and checkboxes, each select's selected option (its first when none is marked),
in document order. The history keeps every page as the phone left it, so :meth:`Browser.back`
shows the page from the back-forward cache: the same forms, with what was typed in them and
the hidden fields they had then. Nothing is fetched again.

    browser = Browser(client_session, "http://127.0.0.1:8080")
    page = await browser.open(join_link)
    page = await browser.submit(page.form("/join"))
    form = page.form("/send"); form.fill("text", "an idea")
    page = await browser.submit(form)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The text inside, white space as in the source (a textarea's is its first value)."""
        return "".join(child if isinstance(child, str) else child.text()
                       for child in self.children)

    def iter(self) -> list[Element]:
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, Element):
                found.append(child)
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, *, cls: str | None = None,
                 id: str | None = None) -> list[Element]:
        return [el for el in self.iter()
                if (tag is None or el.tag == tag) and (cls is None or cls in el.classes)
                and (id is None or el.attrs.get("id") == id)]

    def find(self, tag: str | None = None, *, cls: str | None = None,
             id: str | None = None) -> Element | None:
        found = self.find_all(tag, cls=cls, id=id)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(
            Element(tag, {name: value or "" for name, value in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


class Form:
    """One form of a page, with the values its controls hold now."""

    def __init__(self, element: Element, base: str) -> None:
        self.element = element
        self.action = urljoin(base, element.attrs.get("action", ""))
        self.controls: list[Element] = [
            el for el in element.iter() if el.tag in ("input", "textarea", "select")]
        self.values: dict[int, str] = {}
        """A control's value as the phone set it (by position); otherwise its default."""
        self.checked: dict[int, bool] = {}

    def _named(self, name: str) -> list[tuple[int, Element]]:
        found = [(n, el) for n, el in enumerate(self.controls) if el.attrs.get("name") == name]
        if not found:
            raise KeyError(f"the form {self.action} has no field {name!r}")
        return found

    def fill(self, name: str, value: str) -> None:
        """Type into a text box (a textarea or a text input)."""
        n, _ = self._named(name)[0]
        self.values[n] = value

    def pick(self, name: str, value: str) -> None:
        """Choose a radio button or an option of a select."""
        for n, el in self._named(name):
            if el.tag == "select":
                if value not in [o.attrs.get("value", o.text()) for o in el.find_all("option")]:
                    raise ValueError(f"{name} offers no {value!r}")
                self.values[n] = value
                return
            self.checked[n] = el.attrs.get("value", "on") == value
        if not any(self.checked.get(n) for n, _ in self._named(name)):
            raise ValueError(f"{name} offers no {value!r}")

    def value(self, name: str) -> str:
        return dict(self.data()).get(name, "")

    def data(self) -> list[tuple[str, str]]:
        """The form's data set, in document order, as the browser submits it."""
        entries: list[tuple[str, str]] = []
        for n, el in enumerate(self.controls):
            name = el.attrs.get("name")
            if not name or "disabled" in el.attrs:
                continue
            if el.tag == "textarea":
                entries.append((name, self.values.get(n, _textarea_default(el))))
            elif el.tag == "select":
                entries.append((name, self.values.get(n, _selected(el))))
            else:
                kind = el.attrs.get("type", "text").lower()
                if kind in ("radio", "checkbox"):
                    if self.checked.get(n, "checked" in el.attrs):
                        entries.append((name, el.attrs.get("value", "on")))
                elif kind not in ("submit", "button", "reset", "image", "file"):
                    entries.append((name, self.values.get(n, el.attrs.get("value", ""))))
        return [(name, _crlf(value)) for name, value in entries]


def _textarea_default(el: Element) -> str:
    text = el.text()
    return text[1:] if text.startswith("\n") else text  # the parser drops a first newline


def _selected(select: Element) -> str:
    options = select.find_all("option")
    chosen = next((o for o in options if "selected" in o.attrs), options[0] if options else None)
    if chosen is None:
        return ""
    return chosen.attrs.get("value", chosen.text())


def _crlf(value: str) -> str:
    """Line breaks as a browser sends them in a form (CR LF)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


@dataclass(eq=False)
class Page:
    url: str
    status: int
    html: str
    tree: Element
    forms: list[Form]

    def form(self, action_ends: str) -> Form:
        """The form whose action ends with ``action_ends`` (the first, if several)."""
        for form in self.forms:
            if urlsplit(form.action).path.endswith(action_ends):
                return form
        raise LookupError(f"{self.url} ({self.status}) has no form for {action_ends!r}")

    def has_form(self, action_ends: str) -> bool:
        return any(urlsplit(f.action).path.endswith(action_ends) for f in self.forms)

    # -- what the participant reads on it ------------------------------------------------------

    def mine(self) -> list[str]:
        """The phone's own contributions as the page lists them."""
        section = self.tree.find("section", id="mine")
        if section is None:
            return []
        return [article.find("p").text() for article in section.find_all("article", cls="mine")
                if article.find("p") is not None]  # type: ignore[union-attr]

    def said(self) -> str:
        """What the page says about the last thing done: the confirmation or the refusal."""
        for el in (self.tree.find("p", cls="ok"), self.tree.find("main", cls="error")):
            if el is not None:
                heading = el.find("h1") if el.tag == "main" else el
                return (heading or el).text().strip()
        return ""

    def ballot(self) -> dict[int, int]:
        """The votes the ballot shows as given (item id → weight)."""
        form = next((f for f in self.forms if f.action.endswith("/vote")), None)
        if form is None:
            return {}
        return {int(name[1:]): int(value) for name, value in form.data()
                if name.startswith("v") and name[1:].isdigit() and value}


class Browser:
    """One phone's browser with scripts off: cookies, history, back and forward."""

    def __init__(self, http: aiohttp.ClientSession, origin: str) -> None:
        self.http = http
        self.origin = origin.rstrip("/")
        self.history: list[Page] = []
        self.at = -1

    @property
    def page(self) -> Page:
        return self.history[self.at]

    async def _load(self, method: str, url: str, data: list[tuple[str, str]] | None = None
                    ) -> Page:
        headers = {"Accept": "text/html"}
        if method == "POST":
            headers["Origin"] = self.origin
        while True:
            async with self.http.request(method, url, data=data, headers=headers,
                                         allow_redirects=False) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location")
            if status in (301, 302, 303) and location:
                url = urljoin(url, location)
                method, data = "GET", None
                headers.pop("Origin", None)
                continue
            tree = parse(body)
            forms = [Form(el, url) for el in tree.find_all("form")]
            return Page(url, status, body, tree, forms)

    def _visit(self, page: Page) -> Page:
        del self.history[self.at + 1:]
        self.history.append(page)
        self.at = len(self.history) - 1
        return page

    async def open(self, url: str) -> Page:
        return self._visit(await self._load("GET", urljoin(self.origin + "/", url)))

    async def submit(self, form: Form) -> Page:
        """Press the form's submit button: post what the form holds, follow the redirect."""
        return self._visit(await self._load("POST", form.action, form.data()))

    async def follow(self, css_class: str = "button") -> Page:
        """Follow the page's first link of this class (an error page's Back link)."""
        link = self.page.tree.find("a", cls=css_class)
        assert link is not None, f"{self.page.url} has no a.{css_class}"
        return await self.open(urljoin(self.page.url, link.attrs["href"]))

    async def reload(self) -> Page:
        self.history[self.at] = await self._load("GET", self.page.url)
        return self.page

    def back(self) -> Page:
        """The page before, as it was left (the back-forward cache: nothing is fetched)."""
        assert self.at > 0, "no page to go back to"
        self.at -= 1
        return self.page
