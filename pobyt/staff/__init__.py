"""The helpline staff console at ``/staff`` (issue 7): the assistant as a co-pilot for the phones.

``channel`` serves the pages and the JSON API from the Rasa server, ``auth`` signs staff in,
``views`` builds what the pages show, ``notes`` stores "this answer is wrong" notes and
``unanswered`` reads the questions the assistant could not answer from the tracker store.
"""
