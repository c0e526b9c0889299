"""The warehouse lead's stock forms (consume, receive, adjust, transfer, count sheet, ledger history)."""
