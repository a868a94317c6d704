"""The notice board: notices from managers, executives and HR and every member's posts, aimed
at the whole company or at departments, with checked file attachments and a reader count."""
