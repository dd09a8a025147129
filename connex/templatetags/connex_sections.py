"""Rendering a registered card section with its own context, without adapter templates."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def include_section(context, template_name, section_context):
    """Render `template_name` with the section's context names on top of the page's.

    The names are given both as themselves and under `section_context` (older section templates).
    """
    section_context = section_context or {}
    with context.push(section_context=section_context, **section_context):
        return context.template.engine.get_template(template_name).render(context)
