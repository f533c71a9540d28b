"""The return's workflow engine (Step Functions) as seen from the library."""
