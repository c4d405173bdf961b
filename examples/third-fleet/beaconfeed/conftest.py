# Here so pytest puts the repository root on sys.path: the package runs from the checkout.
