"""Read-side queries for screens and exports: plain SQL over a session, no Qt.

Item models and charts ask these modules for a page of rows or a series and
render what comes back; every query applies the actor's scope.
"""
