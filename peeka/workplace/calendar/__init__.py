"""The calendar: events (personal, a department's, the company's; optionally repeating by an
RFC 5545 rule), public holidays, the month page and each member's private iCalendar feed."""
