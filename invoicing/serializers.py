from rest_framework import serializers

from .models import Invoice, InvoiceLine


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)

    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit_price", "amount"]


class InvoiceSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "kind", "status", "customer", "customer_name", "external_accounting_id",
                  "period_start", "period_end", "currency", "subtotal", "tax_percent", "tax_amount", "total",
                  "amount_paid", "issue_date", "due_date", "void_reason", "pdf_url", "lines", "created", "updated"]

    def get_pdf_url(self, invoice) -> str:
        from django.urls import reverse

        url = reverse("invoicing:invoice_pdf", args=[invoice.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
