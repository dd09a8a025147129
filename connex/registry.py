"""Extension points through which apps add to shared pages without the core importing them.

Each app registers its pieces in its AppConfig.ready(). Navigation entries, card tabs, card
sections and settings sections carry the permission a staff member needs to see them; the
pages they lead to declare the same permission (connex.permissions), so hiding is only courtesy.
- navigation entries of the panel's top bar;
- tabs of the customer card, and sections of the card's Main tab;
- sections of the Settings page, and entries of the customer portal's menu;
- guards that refuse deleting a customer (financial history);
- demo data loaders run by `manage.py seed_demo`, in order;
- health checks shown on Settings → System health and answered by /healthz.
- the source of a customer's daily spend, read by call admission.
- the source of a customer's channels in use now, shown on the card header.
- lookups of inbound numbers (DIDs) for the routing decision, and hooks that adjust charges once
  calls are rated (free minutes of packages), at import and at recalc.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100
    icon: str = ""
    permission: str | None = None


@dataclass(frozen=True)
class CardTab:
    key: str
    label: str
    template: str
    order: int = 100
    context: object = None  # callable(request, customer) -> dict, run only for the shown tab
    permission: str | None = None


@dataclass(frozen=True)
class CardSection:
    key: str
    template: str
    order: int = 100
    context: object = None  # callable(request, customer) -> dict
    permission: str | None = None


@dataclass(frozen=True)
class SettingsSection:
    label: str
    url_name: str
    description: str = ""
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class PortalNavItem:
    """A portal menu entry; `section` is a customers.PortalSection value ('' for always shown)."""

    section: str
    label: str
    url_name: str
    order: int = 100
    available: object = None  # callable(request) -> bool, for entries that depend on more than the section


@dataclass(frozen=True)
class HealthCheck:
    """`check()` returns a connex.health.Health; `order` sorts the health page."""

    key: str
    label: str
    check: object
    order: int = 100


@dataclass
class Registry:
    nav: list = field(default_factory=list)
    card_tabs: list = field(default_factory=list)
    main_sections: list = field(default_factory=list)
    settings_sections: list = field(default_factory=list)
    delete_guards: list = field(default_factory=list)
    demo_loaders: list = field(default_factory=list)
    portal_nav: list = field(default_factory=list)
    summary_actions: list = field(default_factory=list)
    customer_access: dict = field(default_factory=dict)
    health_checks: list = field(default_factory=list)
    daily_spend_sources: list = field(default_factory=list)
    live_channels_sources: list = field(default_factory=list)
    inbound_lookups: list = field(default_factory=list)
    rating_hooks: dict = field(default_factory=lambda: {"import": [], "recalc": []})
    invoice_line_sources: list = field(default_factory=list)


registry = Registry()


def _add(items, item, key):
    if all(key(existing) != key(item) for existing in items):
        items.append(item)
        items.sort(key=lambda x: getattr(x, "order", 100) if not isinstance(x, tuple) else x[0])


def register_nav(item: NavItem):
    _add(registry.nav, item, lambda x: x.url_name)


def register_card_tab(tab: CardTab):
    _add(registry.card_tabs, tab, lambda x: x.key)


def register_main_section(section: CardSection):
    _add(registry.main_sections, section, lambda x: x.key)


def register_settings_section(section: SettingsSection):
    _add(registry.settings_sections, section, lambda x: x.url_name)


def register_portal_nav(item: PortalNavItem):
    _add(registry.portal_nav, item, lambda x: x.url_name)


def register_summary_action(template: str):
    """A template rendered in the toolbar of the card's Summary section (e.g. Generate Invoice).

    It can act on the selected summary rows with a button carrying form="summary-selection".
    """
    if template not in registry.summary_actions:
        registry.summary_actions.append(template)


def register_customer_access(*, visible_through_customer, customer_get_visible):
    """How generic views find a customer, or rows of one, among those a staff member may see.

    visible_through_customer(user, queryset, field=...) -> QuerySet;
    customer_get_visible(user=..., pk=...) -> Customer or Http404.
    """
    registry.customer_access.update(visible_through_customer=visible_through_customer,
                                    customer_get_visible=customer_get_visible)


def register_delete_guard(guard):
    """guard(customer_ids) -> dict {customer_id: reason}; a reason refuses the delete."""
    if guard not in registry.delete_guards:
        registry.delete_guards.append(guard)


def register_demo_loader(order: int, loader):
    """loader(stdout) fills demo data; lower order runs first (customers are 10)."""
    _add(registry.demo_loaders, (order, loader), lambda x: x[1])


def register_health_check(check: HealthCheck):
    _add(registry.health_checks, check, lambda x: x.key)
def register_daily_spend_source(source):
    """source(customer_id, at) -> Decimal: the customer's charges on the UTC day containing `at`."""
    if source not in registry.daily_spend_sources:
        registry.daily_spend_sources.append(source)


def register_live_channels_source(source):
    """source(customer_id) -> int | None: the channels the customer's live calls hold now (None when
    the live state cannot be read: the card then shows the figure last stored on the customer)."""
    if source not in registry.live_channels_sources:
        registry.live_channels_sources.append(source)


def register_inbound_lookup(lookup):
    """lookup(number) -> routing.inbound.InboundTarget | None: a number (E.164 digits) calls go to."""
    if lookup not in registry.inbound_lookups:
        registry.inbound_lookups.append(lookup)


def register_rating_hook(stage, hook):
    """hook(cursor) -> Decimal of charges taken off, run after calls are rated in SQL.

    "import": inside the CDR import, after new CDRs are stored and before their charges are
    posted (the temporary table cdr_new_charges holds them per customer and day).
    "recalc": inside a recalc, on the temporary table recalc_rows before its delta is summed.
    """
    if hook not in registry.rating_hooks[stage]:
        registry.rating_hooks[stage].append(hook)


def register_invoice_line_source(source):
    """source(customer, start, end) -> [(description, quantity, amount)]: lines a new invoice adds
    after the call lines (package fees of the period)."""
    if source not in registry.invoice_line_sources:
        registry.invoice_line_sources.append(source)
