import FuzzDriver

FuzzDriver.run { data, count in
    FuzzDriver.verdict(DifferentialCheck.check(FuzzDriver.bytes(data, count)))
}
