-- What an anonymous visitor typed into the widget's contact form. Unverified: shown as such,
-- never a contact, never used to link anything.
ALTER TABLE conversations ADD COLUMN visitor_name TEXT;
ALTER TABLE conversations ADD COLUMN visitor_email TEXT;
