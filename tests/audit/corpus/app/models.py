from pydantic import BaseModel, field_validator


class Price(BaseModel):
    amount: str

    @field_validator("amount")
    @classmethod
    def parse(cls, value):
        try:
            return float(value)
        except (TypeError, ValueError) as exc:  # label: http_4xx/none
            raise ValueError("amount must be a number") from exc
